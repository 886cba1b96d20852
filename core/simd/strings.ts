// SSE4.2 packed string compares PCMPESTRI, PCMPESTRM, PCMPISTRI, PCMPISTRM (SDM Vol. 2B
// 4.1 "Imm8 Control Byte Operation for PCMPESTRI / PCMPESTRM / PCMPISTRI / PCMPISTRM":
// source format, aggregation, polarity and output selection; Table 4-7 for elements past
// the end of a string).
import { Flag } from '../cpu/registers.ts';

export interface StringCompareInput {
  /** The first operand (XMM register) and the second (XMM register or memory), 16 bytes each. */
  readonly a: Uint8Array;
  readonly b: Uint8Array;
  readonly imm: number;
  /** Explicit lengths (PCMPESTRx: EAX/RAX and EDX/RDX, signed), or null for implicit (null-terminated). */
  readonly lenA: number | null;
  readonly lenB: number | null;
}

export interface StringCompareResult {
  /** IntRes2, one bit per element. */
  readonly mask: number;
  /** Elements per operand: 16 bytes or 8 words. */
  readonly n: number;
  /** CF ZF SF OF at their RFLAGS positions (AF PF are 0). */
  readonly flags: number;
}

const enum Aggregation {
  EqualAny = 0, Ranges = 1, EqualEach = 2, EqualOrdered = 3,
}

function elements(bytes: Uint8Array, words: boolean, signed: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < (words ? 8 : 16); i++) {
    let v = words ? bytes[2 * i]! | (bytes[2 * i + 1]! << 8) : bytes[i]!;
    if (signed) v = words ? (v << 16) >> 16 : (v << 24) >> 24;
    out.push(v);
  }
  return out;
}

/** Explicit length: |value| saturated to the element count; implicit: the first null element. */
function lengthOf(explicit: number | null, els: number[], n: number): number {
  if (explicit === null) {
    const z = els.indexOf(0);
    return z < 0 ? n : z;
  }
  return Math.min(Math.abs(explicit), n);
}

export function stringCompare(inp: StringCompareInput): StringCompareResult {
  const words = (inp.imm & 1) !== 0;
  const signed = (inp.imm & 2) !== 0;
  const agg = ((inp.imm >> 2) & 3) as Aggregation;
  const polarity = (inp.imm >> 4) & 3;
  const n = words ? 8 : 16;
  const a = elements(inp.a, words, signed);
  const b = elements(inp.b, words, signed);
  const la = lengthOf(inp.lenA, a, n);
  const lb = lengthOf(inp.lenB, b, n);
  // BoolRes[j][i]: element j of b against element i of a, with Table 4-7's overrides.
  const res = (j: number, i: number): boolean => {
    const va = i < la;
    const vb = j < lb;
    switch (agg) {
      case Aggregation.EqualAny:
        return va && vb && b[j] === a[i];
      case Aggregation.Ranges:
        return va && vb && (i & 1 ? b[j]! <= a[i]! : b[j]! >= a[i]!);
      case Aggregation.EqualEach:
        return va && vb ? b[j] === a[i] : !va && !vb;
      default:
        return !va ? true : vb && b[j] === a[i];
    }
  };
  let int1 = 0;
  for (let j = 0; j < n; j++) {
    let bit = false;
    if (agg === Aggregation.EqualAny) for (let i = 0; i < n; i++) bit ||= res(j, i);
    else if (agg === Aggregation.Ranges) for (let i = 0; i < n; i += 2) bit ||= res(j, i) && res(j, i + 1);
    else if (agg === Aggregation.EqualEach) bit = res(j, j);
    else {
      bit = true;
      for (let i = 0; i < n - j; i++) bit &&= res(j + i, i);
    }
    if (bit) int1 |= 1 << j;
  }
  const all = (1 << n) - 1;
  const validB = (1 << lb) - 1;
  let int2 = int1;
  if (polarity === 1) int2 = ~int1 & all;
  else if (polarity === 3) int2 = (int1 ^ validB) & all;
  let flags = 0;
  if (int2 !== 0) flags |= Flag.CF;
  if (lb < n) flags |= Flag.ZF;
  if (la < n) flags |= Flag.SF;
  if (int2 & 1) flags |= Flag.OF;
  return { mask: int2, n, flags };
}

/** PCMPxSTRI's index: the least (imm8[6] = 0) or most significant set bit, or n if none. */
export function stringIndex(r: StringCompareResult, imm: number): number {
  if (r.mask === 0) return r.n;
  return imm & 0x40 ? 31 - Math.clz32(r.mask) : 31 - Math.clz32(r.mask & -r.mask);
}

/** PCMPxSTRM's mask for XMM0: the bits zero-extended, or (imm8[6]) each element all ones or zeros. */
export function stringMask(r: StringCompareResult, imm: number): Uint8Array {
  const out = new Uint8Array(16);
  if (imm & 0x40) {
    const size = 16 / r.n;
    for (let e = 0; e < r.n; e++) if (r.mask & (1 << e)) out.fill(0xff, e * size, (e + 1) * size);
  } else {
    out[0] = r.mask & 0xff;
    out[1] = (r.mask >> 8) & 0xff;
  }
  return out;
}
