// IEEE 754 binary32/binary64 arithmetic done exactly on integers, then rounded once under a
// given rounding mode: the slow path of SSE floating point (SDM Vol. 1 4.8 "Real Numbers and
// Floating-Point Formats", 4.9 "Overview of Floating-Point Exceptions"). Values travel as
// bit patterns (bigint); an exact intermediate is mant * 2^exp with a sticky bit for what a
// division or square root left over.
import { Mxcsr, Rounding, type FpEnv } from './mxcsr.ts';

export interface FloatFormat {
  readonly bits: 32 | 64;
  readonly expBits: number;
  readonly fracBits: number;
  readonly bias: number;
}
export const F32: FloatFormat = { bits: 32, expBits: 8, fracBits: 23, bias: 127 };
export const F64: FloatFormat = { bits: 64, expBits: 11, fracBits: 52, bias: 1023 };

export const enum FpClass {
  Zero, Subnormal, Normal, Inf, QNaN, SNaN,
}

export function signBit(f: FloatFormat): bigint {
  return 1n << BigInt(f.bits - 1);
}
function fracMask(f: FloatFormat): bigint {
  return (1n << BigInt(f.fracBits)) - 1n;
}
function expMax(f: FloatFormat): number {
  return (1 << f.expBits) - 1;
}
/** The quiet bit: the top fraction bit (SDM Vol. 1 4.8.3.4). */
export function quietBit(f: FloatFormat): bigint {
  return 1n << BigInt(f.fracBits - 1);
}

export function classify(f: FloatFormat, v: bigint): FpClass {
  const e = Number((v >> BigInt(f.fracBits)) & BigInt(expMax(f)));
  const frac = v & fracMask(f);
  if (e === 0) return frac === 0n ? FpClass.Zero : FpClass.Subnormal;
  if (e === expMax(f)) return frac === 0n ? FpClass.Inf : frac & quietBit(f) ? FpClass.QNaN : FpClass.SNaN;
  return FpClass.Normal;
}

export const isNaN = (c: FpClass): boolean => c === FpClass.QNaN || c === FpClass.SNaN;
export const isNegative = (f: FloatFormat, v: bigint): boolean => (v & signBit(f)) !== 0n;

/** The QNaN floating-point indefinite: sign 1, quiet bit, zero payload (SDM Vol. 1 4.8.3.7). */
export function indefinite(f: FloatFormat): bigint {
  return signBit(f) | (BigInt(expMax(f)) << BigInt(f.fracBits)) | quietBit(f);
}
export function infinity(f: FloatFormat, negative: boolean): bigint {
  return (negative ? signBit(f) : 0n) | (BigInt(expMax(f)) << BigInt(f.fracBits));
}
export function zero(f: FloatFormat, negative: boolean): bigint {
  return negative ? signBit(f) : 0n;
}
export function quiet(f: FloatFormat, v: bigint): bigint {
  return v | quietBit(f);
}

/** An exact finite value: (-1)^neg * mant * 2^exp. */
export interface Exact {
  neg: boolean;
  mant: bigint;
  exp: number;
}

export function unpack(f: FloatFormat, v: bigint): Exact {
  const e = Number((v >> BigInt(f.fracBits)) & BigInt(expMax(f)));
  const frac = v & fracMask(f);
  const neg = isNegative(f, v);
  if (e === 0) return { neg, mant: frac, exp: 1 - f.bias - f.fracBits };
  return { neg, mant: frac | (1n << BigInt(f.fracBits)), exp: e - f.bias - f.fracBits };
}

export function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

export interface Rounded {
  bits: bigint;
  /** OE, UE, PE as MXCSR flags (UE only when the caller's rules report it). */
  flags: number;
}

/** Whether to round up the magnitude, given the kept LSB, the first dropped bit and the rest. */
function roundsUp(rc: Rounding, neg: boolean, lsb: boolean, half: boolean, rest: boolean): boolean {
  switch (rc) {
    case Rounding.Nearest:
      return half && (rest || lsb);
    case Rounding.Down:
      return neg && (half || rest);
    case Rounding.Up:
      return !neg && (half || rest);
    default:
      return false;
  }
}

/** mant * 2^-shift rounded to an integer under `rc`; `sticky` adds a nonzero tail below. */
function shiftRound(mant: bigint, shift: number, sticky: boolean, rc: Rounding, neg: boolean): { q: bigint; inexact: boolean } {
  if (shift <= 0) return { q: mant << BigInt(-shift), inexact: sticky };
  const q = mant >> BigInt(shift);
  const rem = mant - (q << BigInt(shift));
  const halfBit = 1n << BigInt(shift - 1);
  const half = (rem & halfBit) !== 0n;
  const rest = (rem & (halfBit - 1n)) !== 0n || sticky;
  const up = roundsUp(rc, neg, (q & 1n) !== 0n, half, rest);
  return { q: up ? q + 1n : q, inexact: half || rest };
}

/**
 * Rounds an exact value (plus a sticky tail) to format `f` under `env`: overflow to infinity
 * or the largest finite number by the rounding direction, gradual underflow, or zero under
 * FTZ. Tininess is detected after rounding, as x86 does (SDM Vol. 1 4.9.1.5).
 */
export function round(f: FloatFormat, x: Exact, sticky: boolean, env: FpEnv): Rounded {
  const { neg } = x;
  if (x.mant === 0n && !sticky) return { bits: zero(f, neg), flags: 0 };
  const p = f.fracBits + 1;
  const emin = 1 - f.bias; // exponent of the smallest normal
  const nb = bitLength(x.mant);
  const top = x.exp + nb - 1; // exponent of the leading bit
  // Tininess after rounding: the value rounded to p bits with an unbounded exponent is below 2^emin.
  const wide = shiftRound(x.mant, nb - p, sticky, env.rc, neg);
  const topRounded = wide.q >> BigInt(p) ? top + 1 : top;
  const tiny = topRounded < emin;
  // The quantum of the result: that of a normal number of this magnitude, or of subnormals.
  const q = Math.max(top - f.fracBits, emin - f.fracBits);
  const r = shiftRound(x.mant, q - x.exp, sticky, env.rc, neg);
  let mant = r.q;
  let qexp = q;
  if (mant >> BigInt(p)) {
    mant >>= 1n;
    qexp += 1;
  }
  let flags = r.inexact ? Mxcsr.PE : 0;
  if (tiny) {
    if (env.ftz && env.underflowMasked) return { bits: zero(f, neg), flags: Mxcsr.UE | Mxcsr.PE };
    if (r.inexact || !env.underflowMasked) flags |= Mxcsr.UE;
  }
  const hidden = 1n << BigInt(f.fracBits);
  if (mant < hidden) return { bits: zero(f, neg) | mant, flags }; // subnormal (or zero)
  const biased = qexp + f.fracBits + f.bias;
  if (biased >= expMax(f)) {
    const toInf = env.rc === Rounding.Nearest || (env.rc === Rounding.Up && !neg) || (env.rc === Rounding.Down && neg);
    const bits = toInf ? infinity(f, neg) : zero(f, neg) | ((BigInt(expMax(f) - 1) << BigInt(f.fracBits)) | fracMask(f));
    return { bits, flags: Mxcsr.OE | Mxcsr.PE };
  }
  return { bits: zero(f, neg) | (BigInt(biased) << BigInt(f.fracBits)) | (mant - hidden), flags };
}

/** The sign of an exact zero sum: -0 only when rounding down (IEEE 754 6.3). */
function zeroSumSign(env: FpEnv): boolean {
  return env.rc === Rounding.Down;
}

export function addExact(a: Exact, b: Exact, env: FpEnv): Exact {
  const e = Math.min(a.exp, b.exp);
  const ma = a.mant << BigInt(a.exp - e);
  const mb = b.mant << BigInt(b.exp - e);
  const s = (a.neg ? -ma : ma) + (b.neg ? -mb : mb);
  // Zeros of one sign keep it; otherwise an exact zero sum is +0, or -0 rounding down.
  if (s === 0n) return { neg: a.neg === b.neg ? a.neg : zeroSumSign(env), mant: 0n, exp: e };
  return { neg: s < 0n, mant: s < 0n ? -s : s, exp: e };
}

export function mulExact(a: Exact, b: Exact): Exact {
  return { neg: a.neg !== b.neg, mant: a.mant * b.mant, exp: a.exp + b.exp };
}

/** a / b (b nonzero) to `bits` significant bits and a sticky remainder. */
export function divExact(a: Exact, b: Exact, bits: number): { x: Exact; sticky: boolean } {
  const shift = Math.max(0, bits + 2 + bitLength(b.mant) - bitLength(a.mant));
  const n = a.mant << BigInt(shift);
  const q = n / b.mant;
  return { x: { neg: a.neg !== b.neg, mant: q, exp: a.exp - b.exp - shift }, sticky: q * b.mant !== n };
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(bitLength(n) / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** sqrt(a) for a >= 0 to `bits` significant bits and a sticky remainder. */
export function sqrtExact(a: Exact, bits: number): { x: Exact; sticky: boolean } {
  let m = a.mant;
  let e = a.exp;
  if (e & 1) {
    m <<= 1n;
    e -= 1;
  }
  const k = Math.max(0, Math.ceil((2 * (bits + 2) - bitLength(m)) / 2));
  const n = m << BigInt(2 * k);
  const r = isqrt(n);
  return { x: { neg: false, mant: r, exp: (e - 2 * k) / 2 }, sticky: r * r !== n };
}

/** The exact value of a finite float after DAZ (a subnormal source reads as a signed zero). */
export function operand(f: FloatFormat, v: bigint, env: FpEnv): bigint {
  if (env.daz && classify(f, v) === FpClass.Subnormal) return zero(f, isNegative(f, v));
  return v;
}

/** Converts a finite exact integer (bigint) to format `f`. */
export function fromInteger(f: FloatFormat, n: bigint, env: FpEnv): Rounded {
  return round(f, { neg: n < 0n, mant: n < 0n ? -n : n, exp: 0 }, false, { ...env, ftz: false });
}

/**
 * A finite float to an integer under `rc`: the rounded value and whether it was inexact.
 * The caller checks the range.
 */
export function toInteger(f: FloatFormat, v: bigint, rc: Rounding): { n: bigint; inexact: boolean } {
  const x = unpack(f, v);
  const r = shiftRound(x.mant, -x.exp, false, rc, x.neg);
  return { n: x.neg ? -r.q : r.q, inexact: r.inexact };
}
