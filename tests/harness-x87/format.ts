// The x87 fixture format (tests/fixtures/x87/*.jsonl): a header line, then one case per
// line. A case is the code of one instruction (or a few), the FPU state FRSTOR loads before
// it (32-bit protected-mode FSAVE layout, SDM Vol. 1 Figure 8-9 and 8.1.10), a 32-byte
// memory operand at `memBase` (EBX points at it), EAX and EFLAGS; `o` is the state FNSAVE
// stored after it on the host CPU (`ptr`: its instruction and data pointers), the memory
// operand, EAX and EFLAGS, and `trap` if the case faulted (it never should: no case leaves an unmasked exception pending before a
// waiting instruction).

export const X87_LAYOUT = { codeBase: 0x20000, memBase: 0x31000, imageIn: 0x31100, imageOut: 0x31200, memSize: 32 } as const;

/**
 * Where the `high` 64-bit families put the code and data pages (added to X87_LAYOUT): above
 * 4 GiB, so FIP and FDP have upper halves (native/runner64.c).
 */
export const X87_HIGH_BASE = 0x5a5a_0000_0000;

/** FRSTOR [imageIn] and FNSAVE [imageOut] around every case. */
export const FRSTOR_IN = [0xdd, 0x25, 0x00, 0x11, 0x03, 0x00];
export const FNSAVE_OUT = [0xdd, 0x35, 0x00, 0x12, 0x03, 0x00];

export interface X87State {
  /** Control, status and (full) tag word, 4 hex digits each. */
  cw: string;
  sw: string;
  tw: string;
  /** ST(0)..ST(7) as 20 hex digits (sign/exponent then significand), stack order. */
  st: string[];
  /** The memory operand, 64 hex digits. */
  m: string;
  /** EAX and EFLAGS, 8 hex digits. */
  a: string;
  f: string;
}

/**
 * The last-instruction pointers FNSAVE stored after the case (32-bit protected layout):
 * FIP, FOP and FDP as 8, 3 and 8 hex digits. The selectors FCS and FDS are left out: the
 * host's user-mode selectors are not the test's.
 */
export interface X87Pointers {
  ip: string;
  op: string;
  dp: string;
}

export function pointersOfImage(img: ArrayLike<number>): X87Pointers {
  const d = (at: number): number => (img[at] | (img[at + 1] << 8) | (img[at + 2] << 16) | (img[at + 3] << 24)) >>> 0;
  return { ip: d(12).toString(16).padStart(8, '0'), op: ((d(16) >>> 16) & 0x7ff).toString(16).padStart(3, '0'), dp: d(20).toString(16).padStart(8, '0') };
}

export interface X87Case {
  /** Instruction bytes, hex. */
  c: string;
  /** Assembler text, for people. */
  asm: string;
  i: X87State;
  o: X87Outcome;
}

/** What the host left: the state, the pointers, a trap vector, and in 64-bit mode the FXSAVE64 header (hex). */
export type X87Outcome = X87State & { trap?: number; ptr: X87Pointers; fx?: string };

export interface X87FixtureHeader {
  format: 'wasmkvm-x87-fixture/1' | 'wasmkvm-x87-fixture/2';
  /** Operating mode the host ran the cases in (absent: 32). */
  mode?: 32 | 64;
  /** The pages sat at X87_HIGH_BASE + the usual addresses (64-bit mode). */
  high?: boolean;
  family: string;
  description: string;
  host: { vendor: string; modelName: string };
  recorded: string;
  seed: string;
  cases: number;
}

/** The FSAVE image (108 bytes) of a state; pointer fields are zero. */
export function imageOf(s: X87State): number[] {
  const img = new Array<number>(108).fill(0);
  const put16 = (at: number, v: number): void => {
    img[at] = v & 0xff;
    img[at + 1] = (v >> 8) & 0xff;
  };
  put16(0, parseInt(s.cw, 16));
  put16(4, parseInt(s.sw, 16));
  put16(8, parseInt(s.tw, 16));
  s.st.forEach((hex, i) => {
    for (let b = 0; b < 10; b++) img[28 + 10 * i + b] = parseInt(hex.slice(18 - 2 * b, 20 - 2 * b), 16);
  });
  return img;
}

/** The state fields of an FSAVE image (pointers ignored). */
export function stateOfImage(img: ArrayLike<number>): Pick<X87State, 'cw' | 'sw' | 'tw' | 'st'> {
  const w = (at: number): string => (img[at] | (img[at + 1] << 8)).toString(16).padStart(4, '0');
  const st: string[] = [];
  for (let i = 0; i < 8; i++) {
    let hex = '';
    for (let b = 9; b >= 0; b--) hex += img[28 + 10 * i + b].toString(16).padStart(2, '0');
    st.push(hex);
  }
  return { cw: w(0), sw: w(4), tw: w(8), st };
}

export const hex = (bytes: ArrayLike<number>): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
export const unhex = (s: string): number[] => Array.from({ length: s.length / 2 }, (_, k) => parseInt(s.slice(2 * k, 2 * k + 2), 16));

/**
 * Format 2 stores a case compactly: `o` holds only what differs from `i` (a changed `st`
 * entry under its index), and the pointers as one string "FIP FOP FDP" (`p`); in 64-bit
 * mode `x` is the first 32 bytes of the FXSAVE64 image (FCW FSW FTW FOP FIP FDP MXCSR).
 */
export interface PackedCase {
  c: string;
  asm: string;
  i: X87State;
  o: Partial<Omit<X87State, 'st'>> & { st?: Record<string, string>; p: string; x?: string; trap?: number };
}

export function packCase(c: X87Case): PackedCase {
  const o: PackedCase['o'] = { p: `${c.o.ptr.ip} ${c.o.ptr.op} ${c.o.ptr.dp}` };
  for (const k of ['cw', 'sw', 'tw', 'm', 'a', 'f'] as const) if (c.o[k] !== c.i[k]) o[k] = c.o[k];
  c.o.st.forEach((v, n) => {
    if (v !== c.i.st[n]) (o.st ??= {})[n] = v;
  });
  if (c.o.fx !== undefined) o.x = c.o.fx;
  if (c.o.trap !== undefined) o.trap = c.o.trap;
  return { c: c.c, asm: c.asm, i: c.i, o };
}

export function unpackCase(p: PackedCase): X87Case {
  const [ip, op, dp] = p.o.p.split(' ');
  const st = p.i.st.map((v, n) => p.o.st?.[n] ?? v);
  const o: X87Case['o'] = {
    cw: p.o.cw ?? p.i.cw,
    sw: p.o.sw ?? p.i.sw,
    tw: p.o.tw ?? p.i.tw,
    st,
    ptr: { ip, op, dp },
    m: p.o.m ?? p.i.m,
    a: p.o.a ?? p.i.a,
    f: p.o.f ?? p.i.f,
  };
  if (p.o.x !== undefined) o.fx = p.o.x;
  if (p.o.trap !== undefined) o.trap = p.o.trap;
  return { c: p.c, asm: p.asm, i: p.i, o };
}

/** A fixture file's header and cases, in either format. */
export function parseFixture(text: string): { header: X87FixtureHeader; cases: X87Case[] } {
  const lines = text.trim().split('\n');
  const header = JSON.parse(lines[0]) as X87FixtureHeader;
  const packed = header.format === 'wasmkvm-x87-fixture/2';
  const cases = lines.slice(1).map((l) => (packed ? unpackCase(JSON.parse(l) as PackedCase) : (JSON.parse(l) as X87Case)));
  return { header, cases };
}
