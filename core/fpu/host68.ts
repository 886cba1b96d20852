// The arithmetic of the host's transcendental microcode (AMD EPYC family 1Ah, the CPU the x87
// fixtures were recorded on), as read off the host with directed rounding
// (tests/harness-x87/README.md "The transcendentals"): binary floating point with 68
// significant bits, every product and every sum rounded once to nearest-even (ties to even;
// a Horner step is a rounded product, then a rounded sum, never fused). The host models of
// FSIN/FCOS (sincos-host.ts), FPTAN (tan-rational.ts) and F2XM1 (f2xm1-host.ts) evaluate in
// it, and end with one division rounded once to the destination (roundQuotient).
import { bitLength, type F80 } from './float80.ts';
import { type FpEnv, roundExtended } from './round.ts';
import { roundShift } from './round-shift.ts';
import { Sw } from './status.ts';

/** A binary value m × 2^e (m a signed integer of any width). */
export interface Bin {
  readonly m: bigint;
  readonly e: number;
}

/** Significant bits of the host's internal values and constants. */
export const INTERNAL_BITS = 68;

/**
 * The host's pi/2: floor(pi × 2^64) × 2^-65, pi truncated to 66 significant bits (SDM Vol. 1
 * 8.3.8; bits 67-69 of pi are zero, so it is also pi rounded to 68 bits). FSIN, FCOS and FPTAN
 * reduce by it exactly, FPATAN adds it in the other quadrants.
 */
export const HOST_HALF_PI: Bin = { m: 0x3_243f_6a88_85a3_08d3n, e: -65 };

/** v rounded to nearest-even at INTERNAL_BITS significant bits. */
export function rn68(v: Bin): Bin {
  const neg = v.m < 0n;
  const a = neg ? -v.m : v.m;
  const drop = bitLength(a) - INTERNAL_BITS;
  if (drop <= 0) return v;
  let m = roundShift(a, BigInt(drop));
  let e = v.e + drop;
  // Rounding up may carry into one more bit; the value is then a power of two.
  if (bitLength(m) > INTERNAL_BITS) {
    m >>= 1n;
    e++;
  }
  return { m: neg ? -m : m, e };
}

/** The exact product a × b. */
export const mulExact = (a: Bin, b: Bin): Bin => ({ m: a.m * b.m, e: a.e + b.e });

/** The host's product: a × b rounded at 68 bits. */
export const mul68 = (a: Bin, b: Bin): Bin => rn68(mulExact(a, b));

/** The exact sum a + b. */
export function sumExact(a: Bin, b: Bin): Bin {
  const e = Math.min(a.e, b.e);
  return { m: (a.m << BigInt(a.e - e)) + (b.m << BigInt(b.e - e)), e };
}

/** Bits below its top bit at which an addend can no longer move a 68-bit rounding of the sum. */
const NEGLIGIBLE_BITS = INTERNAL_BITS + 3;

const magnitudeBits = (v: Bin): number => v.e + bitLength(v.m < 0n ? -v.m : v.m);

/**
 * The host's sum: a + b rounded at 68 bits. An addend below both the other's last bit and its
 * rounding position (with margin) only decides on which side of a boundary the sum lies, by
 * its sign, so it is replaced by a same-signed bit just below that bound before the exact sum
 * (a tiny operand makes its squared terms thousands of binades smaller than the constants).
 */
export function add68(a: Bin, b: Bin): Bin {
  const [hi, lo] = magnitudeBits(a) >= magnitudeBits(b) ? [a, b] : [b, a];
  if (lo.m === 0n) return hi;
  const bound = Math.min(hi.e, magnitudeBits(hi) - NEGLIGIBLE_BITS);
  const small = magnitudeBits(lo) <= bound ? { m: lo.m < 0n ? -1n : 1n, e: bound - 1 } : lo;
  return rn68(sumExact(hi, small));
}

/** c[0] + t (c[1] + t (c[2] + ...)) by Horner, each product and each sum rounded at 68 bits. */
export function horner68(c: readonly Bin[], t: Bin): Bin {
  let acc = c[c.length - 1];
  for (let i = c.length - 2; i >= 0; i--) acc = add68(mul68(acc, t), c[i]);
  return acc;
}

/** Quotient bits formed before the final rounding: the 64 of the result and guard bits. */
const QUOTIENT_BITS = 70;

/**
 * (-1)^sign × num / den × 2^exp (num, den > 0) rounded once to the destination: the host's
 * last step. PE is always set (the host's quotient is never exact here).
 */
export function roundQuotient(sign: number, num: bigint, den: bigint, exp: number, env: FpEnv): F80 {
  const k = QUOTIENT_BITS - (bitLength(num) - bitLength(den));
  const q = (num << BigInt(k)) / den;
  const sticky = q * den === num << BigInt(k) ? 0n : 1n;
  const r = roundExtended(sign, (q << 1n) | sticky, exp - k - 1, env);
  env.flags |= Sw.PE;
  return r;
}
