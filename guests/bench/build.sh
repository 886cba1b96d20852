#!/usr/bin/env bash
# Build the benchmark guest: guests/bench/{main,workloads}.asm and float.c ->
# bench/guests/bench.elf, or to the path given as the one argument (the bench
# builds a copy in a temporary directory to check the committed one is current).
#
# Deterministic like guests/demo/build.sh: NASM and ld write no timestamps,
# --build-id=none leaves out the build-id note, objects live in a temporary
# directory and the file symbols are stripped. Needs nasm and binutils
# (ld -m elf_i386, nm, objcopy) and gcc -m32 (gcc-multilib) for float.c
# (float-objects.sh). The native side of the benchmark assembles workloads.asm
# and compiles float.c again at bench time (bench/native.ts).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$(realpath -m "${1:-$here/../../bench/guests/bench.elf}")"
objdir="$(mktemp -d)"
trap 'rm -rf "$objdir"' EXIT

cd "$here"
objects=()
for name in main workloads; do
    nasm -f elf32 -Werror -I ../lib/ -I ./ -o "$objdir/$name.o" "$name.asm"
    objects+=("$objdir/$name.o")
done
bash ./float-objects.sh "$objdir"
objects+=("$objdir/float-sse2.o" "$objdir/float-x87.o")

mkdir -p "$(dirname "$out")"
ld -m elf_i386 -T linker.ld --build-id=none -z noexecstack -nostdlib \
    -o "$objdir/bench.elf" "${objects[@]}"

# Keep the symbols that name code and data (bench_sieve, sieve_flags...) for
# traces and disassembly; drop NASM's local labels, file symbols and EQUs.
nm --defined-only "$objdir/bench.elf" \
    | LC_ALL=C awk '$2 !~ /^[aA]$/ && $3 !~ /\./ { print $3 }' \
    | LC_ALL=C sort -u >"$objdir/keep"
objcopy --strip-all --keep-symbols="$objdir/keep" "$objdir/bench.elf" "$out.tmp"
mv "$out.tmp" "$out"

size=$(stat -c %s "$out")
sum=$(sha256sum "$out" | cut -d' ' -f1)
root="$(realpath "$here/../..")"
echo "${out#"$root/"}: $size bytes, sha256 $sum"
