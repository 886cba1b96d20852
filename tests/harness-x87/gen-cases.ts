// Deterministic x87 case generator: operands from special-value classes (zeros, denormals,
// pseudo-denormals, unnormals, infinities, pseudo-infinities, QNaN/SNaN, pseudo-NaNs,
// extremes, integers, values on rounding boundaries of every precision) in every rounding
// and precision mode, with and without unmasked exceptions and stack faults.
import { hex, type X87State } from './format.ts';

export class Rng {
  private s: number;
  constructor(seed: string) {
    let h = 2166136261;
    for (const ch of seed) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
    this.s = h >>> 0 || 1;
  }
  u32(): number {
    // mulberry32
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  int(n: number): number {
    return this.u32() % n;
  }
  bits(n: number): bigint {
    let v = 0n;
    for (let k = 0; k < n; k += 32) v = (v << 32n) | BigInt(this.u32());
    return BigInt.asUintN(n, v);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.u32() / 2 ** 32 < p;
  }
}

const J = 1n << 63n;
export interface Raw {
  sign: number;
  exp: number;
  mant: bigint;
}
export const rawHex = (r: Raw): string => (((r.sign << 15) | r.exp).toString(16).padStart(4, '0') + r.mant.toString(16).padStart(16, '0'));

/** A random mantissa whose bits below a precision boundary form a rounding-critical pattern. */
function boundaryMant(r: Rng): bigint {
  const p = r.pick([24, 53, 64, 64]);
  const low = 64 - p;
  let m = J | r.bits(63);
  if (low === 0) return m;
  const mask = (1n << BigInt(low)) - 1n;
  const half = 1n << BigInt(low - 1);
  m &= ~mask;
  return m | r.pick([half, half - 1n, half + 1n, 0n, mask, 1n]);
}

/** An 80-bit operand from a special-value class. `near` sets the usual exponent. */
export function operand(r: Rng, near = 0x3fff, spread = 40): Raw {
  const sign = r.int(2);
  const c = r.int(100);
  if (c < 38) return { sign, exp: near + r.int(2 * spread + 1) - spread, mant: J | r.bits(63) };
  if (c < 50) return { sign, exp: near + r.int(2 * spread + 1) - spread, mant: boundaryMant(r) };
  if (c < 55) return { sign, exp: 1 + r.int(0x7ffe), mant: J | r.bits(63) };
  if (c < 59) return { sign, exp: 0, mant: 0n };
  if (c < 63) return { sign, exp: 0, mant: r.bits(63) >> BigInt(r.int(63)) || 1n };
  if (c < 65) return { sign, exp: 0, mant: J | r.bits(63) };
  if (c < 67) return { sign, exp: 1 + r.int(0x7ffe), mant: r.bits(63) };
  if (c < 70) return { sign, exp: 0x7fff, mant: J };
  if (c < 71) return { sign, exp: 0x7fff, mant: 0n };
  if (c < 74) return { sign, exp: 0x7fff, mant: J | (1n << 62n) | (r.chance(0.3) ? 0n : r.bits(62)) };
  if (c < 77) return { sign, exp: 0x7fff, mant: J | (r.bits(62) || 1n) };
  if (c < 78) return { sign, exp: 0x7fff, mant: r.bits(63) || 1n };
  if (c < 84) {
    // Integers, including halfway values (n + 0.5).
    const e = r.int(64);
    const m = (J | r.bits(63)) & ~((1n << BigInt(Math.max(0, 63 - e))) - 1n);
    return { sign, exp: 0x3fff + e, mant: r.chance(0.3) && e < 62 ? m | (1n << BigInt(62 - e)) : m };
  }
  if (c < 88) return { sign, exp: r.pick([1, 2, 0x7ffe, 0x7ffd, 0x3fff - 16382 + r.int(8), 0x3fff + 16382 - r.int(8)]), mant: r.chance(0.5) ? ~0n & ((1n << 64n) - 1n) : J | r.bits(63) };
  if (c < 94) return { sign, exp: r.pick([0x3f7f, 0x3f80, 0x3c00, 0x3c01, 0x407f, 0x407e, 0x43fe, 0x43ff, 0x3c01 - 52, 0x3f81 - 23]) + r.int(3) - 1, mant: boundaryMant(r) };
  return { sign, exp: near + r.int(2 * spread + 1) - spread, mant: J | (r.chance(0.5) ? 0n : r.bits(63) >> BigInt(r.int(63))) };
}

/** A float32 or float64 memory operand from special-value classes, as little-endian bytes. */
export function memFloat(r: Rng, bits: 32 | 64): number[] {
  const expBits = bits === 32 ? 8 : 11;
  const fracBits = bits - 1 - expBits;
  const maxE = (1 << expBits) - 1;
  const c = r.int(100);
  let e: number;
  let frac: bigint;
  if (c < 50) [e, frac] = [(maxE >> 1) + r.int(41) - 20, r.bits(fracBits)];
  else if (c < 60) [e, frac] = [1 + r.int(maxE - 1), r.bits(fracBits)];
  else if (c < 65) [e, frac] = [0, 0n];
  else if (c < 75) [e, frac] = [0, r.bits(fracBits) >> BigInt(r.int(fracBits)) || 1n];
  else if (c < 80) [e, frac] = [maxE, 0n];
  else if (c < 86) [e, frac] = [maxE, (1n << BigInt(fracBits - 1)) | r.bits(fracBits - 1)];
  else if (c < 92) [e, frac] = [maxE, r.bits(fracBits - 1) || 1n];
  else [e, frac] = [r.pick([1, maxE - 1]), r.pick([0n, (1n << BigInt(fracBits)) - 1n, r.bits(fracBits)])];
  const v = (BigInt(r.int(2)) << BigInt(bits - 1)) | (BigInt(e) << BigInt(fracBits)) | frac;
  return Array.from({ length: bits / 8 }, (_, k) => Number((v >> BigInt(8 * k)) & 0xffn));
}

/** An integer memory operand with boundary values, little-endian. */
export function memInt(r: Rng, bytes: number): number[] {
  const bits = bytes * 8;
  const c = r.int(10);
  let v: bigint;
  if (c < 5) v = r.bits(bits);
  else if (c < 8) v = BigInt.asUintN(bits, BigInt(r.int(2001) - 1000));
  else v = r.pick([0n, 1n << BigInt(bits - 1), (1n << BigInt(bits - 1)) - 1n, (1n << BigInt(bits)) - 1n]);
  return Array.from({ length: bytes }, (_, k) => Number((v >> BigInt(8 * k)) & 0xffn));
}

/** Packed BCD with valid digits (some with a sign byte other than 00/80). */
export function memBcd(r: Rng): number[] {
  const out: number[] = [];
  const digits = r.int(19);
  for (let k = 0; k < 9; k++) out.push(2 * k < digits ? r.int(10) | ((2 * k + 1 < digits ? r.int(10) : 0) << 4) : 0);
  out.push(r.pick([0, 0x80, 0x80, 0x7f & r.int(0x80)]));
  return out;
}

export interface StateOptions {
  /** How many of ST(0).. are in use: a range. */
  depth?: [number, number];
  /** Operand generator for ST(k). */
  value?: (r: Rng, k: number) => Raw;
  mem?: number[];
  /** Probability of unmasked exceptions in CW. */
  unmasked?: number;
  eflags?: number;
}

/** A random starting state: CW modes, SW with only masked flags pending, a stack of `depth` values. */
export function randomState(r: Rng, o: StateOptions = {}): X87State {
  const [lo, hi] = o.depth ?? [2, 4];
  const depth = lo + r.int(hi - lo + 1);
  const masks = r.chance(o.unmasked ?? 0.15) ? r.int(64) : 0x3f;
  const cw = 0x40 | masks | (r.pick([0, 2, 3, 3, 3, 1]) << 8) | (r.int(4) << 10);
  const top = r.int(8);
  const flags = r.int(64) & masks & (r.chance(0.5) ? 0 : 0x3f);
  const sw = (top << 11) | flags | (r.int(16) & 7 ? (r.int(2) << 8) | (r.int(2) << 9) | (r.int(2) << 10) | (r.int(2) << 14) : 0);
  let tw = 0;
  const st: string[] = [];
  for (let k = 0; k < 8; k++) {
    const live = k < depth;
    const v = live ? (o.value ?? ((g) => operand(g)))(r, k) : operand(r);
    st.push(rawHex(v));
    tw |= (live ? 0 : 3) << (2 * ((top + k) & 7));
  }
  const mem = o.mem ?? Array.from({ length: 32 }, () => r.int(256));
  while (mem.length < 32) mem.push(r.int(256));
  const eflags = o.eflags ?? (0x202 | (r.int(256) & 0xd5) | (r.chance(0.3) ? 0x800 : 0));
  return {
    cw: cw.toString(16).padStart(4, '0'),
    sw: sw.toString(16).padStart(4, '0'),
    tw: tw.toString(16).padStart(4, '0'),
    st,
    m: hex(mem),
    a: r.u32().toString(16).padStart(8, '0'),
    f: eflags.toString(16).padStart(8, '0'),
  };
}
