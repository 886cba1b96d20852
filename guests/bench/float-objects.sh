#!/usr/bin/env bash
# Compile guests/bench/float.c once per FPU path into DIR/float-sse2.o and
# DIR/float-x87.o. Both the guest (guests/bench/build.sh) and the native driver
# (bench/native.ts) link these objects, so the host CPU and the emulators run
# the same code. Deterministic: no debug info, no unwind tables, and the
# linker script drops .comment and .note*.
#
# -ffreestanding -fno-builtin: no libc; -fno-tree-loop-distribute-patterns:
# no memset/memcpy calls for the loops; -fno-math-errno: __builtin_sqrt is the
# SQRTSD / FSQRT instruction. The x87 build has no SSE at all (-mno-sse), so
# no loop is vectorised onto the XMM registers.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$(realpath -m "${1:?usage: float-objects.sh DIR}")"
mkdir -p "$out"

common=(-m32 -O2 -std=c11 -ffreestanding -fno-builtin -fno-pic -fno-pie
    -fno-math-errno -fno-tree-loop-distribute-patterns -fno-stack-protector
    -fcf-protection=none -fno-asynchronous-unwind-tables -fno-unwind-tables
    -fno-ident -Wall -Wextra -Werror)

gcc "${common[@]}" -DFPMATH=sse2 -msse2 -mfpmath=sse \
    -c -o "$out/float-sse2.o" "$here/float.c"
gcc "${common[@]}" -DFPMATH=x87 -mno-sse -mfpmath=387 \
    -c -o "$out/float-x87.o" "$here/float.c"
