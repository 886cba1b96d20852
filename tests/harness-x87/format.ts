// The x87 fixture format (tests/fixtures/x87/*.jsonl): a header line, then one case per
// line. A case is the code of one instruction (or a few), the FPU state FRSTOR loads before
// it (32-bit protected-mode FSAVE layout, SDM Vol. 1 Figure 8-9 and 8.1.10), a 32-byte
// memory operand at `memBase` (EBX points at it), EAX and EFLAGS; `o` is the state FNSAVE
// stored after it on the host CPU (`ptr`: its instruction and data pointers), the memory
// operand, EAX and EFLAGS, and `trap` if the case faulted (it never should: no case leaves an unmasked exception pending before a
// waiting instruction).

export const X87_LAYOUT = { codeBase: 0x20000, memBase: 0x31000, imageIn: 0x31100, imageOut: 0x31200, memSize: 32 } as const;

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
  o: X87State & { trap?: number; ptr: X87Pointers };
}

export interface X87FixtureHeader {
  format: 'wasmkvm-x87-fixture/1';
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
