// A multiboot v1 kernel of a few dozen bytes, built in the test like the loader tests build
// theirs: it prints a banner on COM1, then echoes what it reads by polling the UART's LSR
// until it sees 'q', and writes 3 to isa-debug-exit (status 7). Only MOV, IN, OUT, TEST, CMP
// and Jcc: a user-supplied kernel for the page's tests that needs no interrupts, no GDT.
import { ascii, buildElf32, concat, mbHeader } from '../../core/vmm/loader/test-images.ts';

export const TINY_BANNER = 'tiny kernel: type, q quits\r\n';
export const TINY_EXIT_STATUS = (3 << 1) | 1;

const LOAD = 0x100000;

export function tinyKernel(): Uint8Array {
  const movDx = (port: number) => [0x66, 0xba, port & 0xff, port >> 8]; // mov dx, imm16
  const banner = [...movDx(0x3f8), ...[...ascii(TINY_BANNER)].flatMap((c) => [0xb0, c, 0xee])]; // mov al, c; out dx, al
  // One instruction per row.
  const echo = [
    movDx(0x3fd), // LSR
    [0xec], // in al, dx
    [0xa8, 0x01], // test al, 1 (UART_LSR_DR)
    [0x74, 0xfb], // jz -5 (back to in)
    movDx(0x3f8),
    [0xec], // in al, dx (RBR)
    [0xee], // out dx, al (THR)
    [0x3c, 0x71], // cmp al, 'q'
  ].flat();
  const code = [
    banner,
    echo,
    [0x75, -(echo.length + 2) & 0xff], // jne echo
    [0xb0, 0x03], // mov al, 3
    [0xe6, 0xf4], // out 0xf4, al (isa-debug-exit)
    [0xf4], // hlt
  ].flat();
  const header = mbHeader(0); // 12 bytes; the code follows it
  return buildElf32({
    entry: LOAD + header.length,
    segments: [{ paddr: LOAD, data: concat(header, Uint8Array.from(code)) }],
  });
}

/** A kernel that loads an empty IDT and executes INT3: #GP, #DF, triple fault (SDM Vol. 3A §6.15). */
export function tripleFaultKernel(): Uint8Array {
  const header = mbHeader(0);
  const idtr = LOAD + 0x20; // a 6-byte pseudo-descriptor of zeros: limit 0, base 0
  const code = [0x0f, 0x01, 0x1d, ...[0, 8, 16, 24].map((s) => (idtr >>> s) & 0xff), 0xcc]; // lidt [idtr]; int3
  const pad = new Uint8Array(idtr - LOAD - header.length - code.length + 6);
  return buildElf32({
    entry: LOAD + header.length,
    segments: [{ paddr: LOAD, data: concat(header, Uint8Array.from(code), pad) }],
  });
}
