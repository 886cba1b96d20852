#!/usr/bin/env bash
# Records what `qemu-system-i386 -kernel` hands a Multiboot v1 kernel (see mbdump.asm).
# Needs nasm, ld (binutils) and qemu-system-x86 (Debian packages). Prints one block per
# case; multiboot.test.ts keeps the lines as fixtures (facts about QEMU, not our code).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
nasm -f elf32 "$here/mbdump.asm" -o mbdump.o
ld -m elf_i386 -N -Ttext=0x100000 -e _start mbdump.o -o kernel.elf 2>/dev/null
nasm -f bin -DAOUT "$here/mbdump.asm" -o kernel.aout
python3 -c "open('mod1.bin','wb').write(bytes((i*7+3)&0xff for i in range(5000)))"
printf 'HELLOMOD2!' > mod2.bin
: > empty.bin
# a.out variant with load_end_addr = 0 (load to end of file) and one with bss_end_addr = 0
python3 - <<'PY'
import struct
b = bytearray(open('kernel.aout', 'rb').read())
v = bytearray(b); struct.pack_into('<I', v, 0x54, 0); open('aout-loadend0.bin', 'wb').write(v)
v = bytearray(b); struct.pack_into('<I', v, 0x58, 0); open('aout-bssend0.bin', 'wb').write(v)
PY
run() {
  local name=$1; shift
  echo "== $name: $*"
  timeout 60 qemu-system-i386 -accel tcg -nographic -no-reboot \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 "$@" 2>&1 | tr -d '\r' | sed -n '/^.*EAX /,/^END/p' | sed 's/^.*EAX /EAX /' || true
}
qemu-system-i386 --version | head -1
readelf -lW kernel.elf | grep -E 'LOAD|Entry'
run elf-mods -m 128 -kernel kernel.elf -append "console=ttyS0 foo=bar" -initrd "mod1.bin arg1 arg2,mod2.bin a,,b"
run elf-bare -m 64 -kernel kernel.elf
run aout-mod -m 32 -kernel kernel.aout -append "x" -initrd "mod2.bin"
run aout-empty-mod -m 32 -kernel kernel.aout -initrd "empty.bin,mod2.bin"
run aout-loadend0 -m 32 -kernel aout-loadend0.bin
run aout-bssend0 -m 32 -kernel aout-bssend0.bin
