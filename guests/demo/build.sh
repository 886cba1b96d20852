#!/usr/bin/env bash
# Build the demo guest: guests/demo/*.asm -> public/guests/demo.elf.
#
# Deterministic: NASM and ld write no timestamps, --build-id=none leaves out
# the build-id note, and no path reaches the output (objects live in a
# temporary directory, the file symbols are stripped). Needs nasm and
# binutils (ld -m elf_i386, nm, objcopy).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# OUT overrides the destination (the reproducibility test builds into a temporary file).
out="${OUT:-$here/../../public/guests/demo.elf}"
objdir="$(mktemp -d)"
trap 'rm -rf "$objdir"' EXIT

# Link order decides addresses only; boot.asm first keeps _start near the
# multiboot header at the start of .text.
sources=(boot mbi gdt idt pic serial print shell commands cpuinfo regs)

cd "$here"
objects=()
for name in "${sources[@]}"; do
    nasm -f elf32 -Werror -I ../lib/ -I ./ -o "$objdir/$name.o" "$name.asm"
    objects+=("$objdir/$name.o")
done

mkdir -p "$(dirname "$out")"
ld -m elf_i386 -T linker.ld --build-id=none -z noexecstack -nostdlib \
    -o "$objdir/demo.elf" "${objects[@]}"

# Keep the symbols that name code and data (_start, serial_getc, rx_ring...)
# for traces and disassembly; drop NASM's local labels (.loop, ..@3.name),
# the file symbols and the EQU constants, which are most of the table.
nm --defined-only "$objdir/demo.elf" \
    | LC_ALL=C awk '$2 !~ /^[aA]$/ && $3 !~ /\./ { print $3 }' \
    | LC_ALL=C sort -u >"$objdir/keep"
objcopy --strip-all --keep-symbols="$objdir/keep" "$objdir/demo.elf" "$out.tmp"
mv "$out.tmp" "$out"

size=$(stat -c %s "$out")
sum=$(sha256sum "$out" | cut -d' ' -f1)
echo "$out: $size bytes, sha256 $sum"
