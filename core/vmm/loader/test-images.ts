// Test helpers: kernel images built byte by byte from the specs (not from the code under
// test), and a sparse fake guest RAM. Used by the *.test.ts files beside this one.

import type { GuestPhysWriter } from './multiboot.ts';

function le32(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
  out[at + 2] = (v >>> 16) & 0xff;
  out[at + 3] = (v >>> 24) & 0xff;
}

function le16(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
}

export interface AoutFields {
  headerAddr: number;
  loadAddr: number;
  loadEndAddr: number;
  bssEndAddr: number;
  entryAddr: number;
}

/** Multiboot 0.6.96 §3.1.1: magic 0x1BADB002, flags, checksum; §3.1.3 address fields at 12..31. */
export function mbHeader(flags: number, aout?: AoutFields, badChecksum = false): Uint8Array {
  const out = new Uint8Array(aout ? 32 : 12);
  le32(out, 0, 0x1badb002);
  le32(out, 4, flags);
  le32(out, 8, (-(0x1badb002 + flags) + (badChecksum ? 1 : 0)) >>> 0);
  if (aout) {
    le32(out, 12, aout.headerAddr);
    le32(out, 16, aout.loadAddr);
    le32(out, 20, aout.loadEndAddr);
    le32(out, 24, aout.bssEndAddr);
    le32(out, 28, aout.entryAddr);
  }
  return out;
}

export interface SegmentSpec {
  paddr: number;
  vaddr?: number;
  data: Uint8Array;
  memsz?: number;
  /** p_flags; default PF_R|PF_W|PF_X = 7. */
  flags?: number;
  /** p_type; default PT_LOAD = 1. */
  type?: number;
}

export interface ElfSpec {
  entry: number;
  segments: SegmentSpec[];
  elfClass?: number; // EI_CLASS, default 1
  encoding?: number; // EI_DATA, default 1
  machine?: number; // e_machine, default 3 (EM_386)
  phentsize?: number; // default 32
}

/**
 * An ELF32 executable (gABI): 52-byte header, program headers right after it, then each
 * segment's bytes in order, 4-byte aligned. Segment 0's data comes first in the file, so
 * a multiboot header placed at its start lies within the first 8 KiB.
 */
export function buildElf32(spec: ElfSpec): Uint8Array {
  const phoff = 52;
  const phentsize = spec.phentsize ?? 32;
  let offset = phoff + spec.segments.length * 32;
  const offsets = spec.segments.map((s) => {
    offset = (offset + 3) & ~3;
    const at = offset;
    offset += s.data.length;
    return at;
  });
  const out = new Uint8Array(offset);
  out.set([0x7f, 0x45, 0x4c, 0x46, spec.elfClass ?? 1, spec.encoding ?? 1, 1], 0);
  le16(out, 16, 2); // e_type = ET_EXEC
  le16(out, 18, spec.machine ?? 3); // e_machine
  le32(out, 20, 1); // e_version
  le32(out, 24, spec.entry);
  le32(out, 28, phoff);
  le16(out, 40, 52); // e_ehsize
  le16(out, 42, phentsize);
  le16(out, 44, spec.segments.length);
  spec.segments.forEach((s, i) => {
    const at = phoff + i * 32;
    le32(out, at, s.type ?? 1);
    le32(out, at + 4, offsets[i]!);
    le32(out, at + 8, s.vaddr ?? s.paddr);
    le32(out, at + 12, s.paddr);
    le32(out, at + 16, s.data.length);
    le32(out, at + 20, s.memsz ?? s.data.length);
    le32(out, at + 24, s.flags ?? 7);
    le32(out, at + 28, 0x1000);
    out.set(s.data, offsets[i]!);
  });
  return out;
}

/** `length` bytes starting with `head`, the rest filled with a recognisable pattern. */
export function bytesWith(head: Uint8Array, length: number, fill = 0x90): Uint8Array {
  const out = new Uint8Array(length).fill(fill);
  out.set(head, 0);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/**
 * Guest RAM in 4 KiB pages allocated on first write, so a 128 MiB guest costs only what is
 * written. A write that leaves RAM or touches the PC hole throws: the loader must never
 * issue one, whatever the image says.
 */
export class FakeRam implements GuestPhysWriter {
  readonly pages = new Map<number, Uint8Array>();
  readonly writes: { gpa: number; length: number }[] = [];
  constructor(readonly ramSize: number) {}

  write(gpa: number, bytes: Uint8Array): void {
    const end = gpa + bytes.length;
    if (gpa < 0 || end > this.ramSize)
      throw new Error(`write ${gpa.toString(16)}-${end.toString(16)} outside RAM`);
    if (gpa < 0x100000 && end > 0xa0000)
      throw new Error(`write ${gpa.toString(16)}-${end.toString(16)} in the PC hole`);
    this.writes.push({ gpa, length: bytes.length });
    for (let i = 0; i < bytes.length; i++) {
      const a = gpa + i;
      let page = this.pages.get(Math.floor(a / 4096));
      if (!page) this.pages.set(Math.floor(a / 4096), (page = new Uint8Array(4096)));
      page[a % 4096] = bytes[i]!;
    }
  }

  u8(gpa: number): number {
    return this.pages.get(Math.floor(gpa / 4096))?.[gpa % 4096] ?? 0;
  }

  u32(gpa: number): number {
    return (
      (this.u8(gpa) | (this.u8(gpa + 1) << 8) | (this.u8(gpa + 2) << 16) | (this.u8(gpa + 3) << 24)) >>> 0
    );
  }

  bytes(gpa: number, length: number): Uint8Array {
    return Uint8Array.from({ length }, (_, i) => this.u8(gpa + i));
  }

  /** A NUL-terminated string, bytes read as Latin-1 (tests use ASCII). */
  cstr(gpa: number): string {
    let s = '';
    for (let a = gpa; this.u8(a) !== 0; a++) s += String.fromCharCode(this.u8(a));
    return s;
  }
}

/**
 * A bzImage of the Linux boot protocol 2.15 around `code` (linux/Documentation/arch/x86/
 * boot.rst): one setup sector, LOADED_HIGH at 1 MiB, not relocatable; the loader enters
 * `code` at its 32-bit entry with the boot_params in ESI.
 */
export function tinyBzImage(code: readonly number[]): Uint8Array {
  const img = new Uint8Array(2 * 512 + 4096);
  const dv = new DataView(img.buffer);
  dv.setUint8(0x1f1, 1); // setup_sects
  dv.setUint16(0x1fe, 0xaa55, true);
  dv.setUint16(0x200, 0x66eb, true); // jmp to 0x268
  dv.setUint32(0x202, 0x53726448, true); // "HdrS"
  dv.setUint16(0x206, 0x020f, true);
  dv.setUint8(0x211, 0x01); // LOADED_HIGH
  dv.setUint32(0x214, 0x100000, true);
  dv.setUint32(0x22c, 0x7fffffff, true);
  dv.setUint32(0x238, 2047, true);
  dv.setUint32(0x260, 0x10000, true); // init_size
  img.set(code, 1024);
  return img;
}
