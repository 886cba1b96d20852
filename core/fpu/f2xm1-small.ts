// F2XM1 of a small operand as the host's microcode computes it (AMD EPYC family 1Ah, the CPU
// the x87 fixtures were recorded on). The host does not round 2^x - 1 correctly: it evaluates
// a rational approximation of the Cody-Waite shape
//   2^x - 1 = (N / 2) / D,  N = x p(x^2),  D = q(x^2) - N / 4,
// (2^x = (q + x p / 4) / (q - x p / 4), so x p / (4 q) approximates tanh(x ln 2 / 2)) with p,
// q, N and D each rounded to nearest-even at 68 significant bits and the quotient rounded once
// to the destination (tests/harness-x87/README.md "F2XM1 of small operands").
//
// How the constants were read from the host (throwaway probes, summarized in the README):
// - Below 2^-40 the result is RN68(x P0) / (2 Q0). Operands whose exact 2^x - 1 lies within
//   10^-9 of a rounding boundary show, with RC up and down, on which side the host's value
//   lies; along m, m + k q (q a continued-fraction denominator of 2 ln 2, so every operand
//   stays near a boundary) the sides are a Sturmian sequence of the rounding error of m P0.
//   Its rotation and the phases of shifted families gave P0 to 2^-74 (its 68-bit value has
//   65 significant bits), and the grid of the results gave Q0 (68 bits).
// - Up to 2^-16 the x^2 terms show: in narrow windows of x the pair (p, q) is constant, and
//   the pair that reproduces 40-60 operands near rounding boundaries is unique. 85 such
//   windows from 2^-32 to 2^-12 bound P1, P2, Q1, Q2 by linear programming (the centres of
//   the feasible boxes are below; p and q stay within a unit of their 68th bit of the host's
//   over |x| < 2^-16, the range where they were checked).
// Measured: 48,000 random operands with |x| < 2^-16 (binades 2^-70 to 2^-17, 10 % tinier
// normals, 5 % denormals, both signs, every RC): the model matches the host in all of them,
// correct rounding in 46,895. Above 2^-16 the denominator's odd part is not exactly N / 4 (the
// host's q - x s(x^2) has its own s, visible from about 2^-13 on) and correct rounding stays
// the model there. `npx tsx tests/harness-x87/f2xm1-small.ts` repeats the check.
import { bitLength, type F80 } from './float80.ts';
import { type FpEnv, roundExtended } from './round.ts';
import { Sw } from './status.ts';

/** p(0) × 2^67 and q(0) × 2^67: the host's constants (P0 ≈ 1.84319, Q0 ≈ 1.32958, P0 / Q0 = 2 ln 2). */
const P0 = 0xe_bed9_07fc_bb85_b9d8n;
const Q0 = 0xa_a2fa_223a_d82d_2d2dn;
/** Scale of P0 and Q0: their last bit is 2^-67, the grid of p and q. */
const PQ_SCALE = 67;

/** The x^2 and x^4 coefficients of p and q, × 2^100 (centres of the boxes measured on the host). */
const P1 = 0x743e_b5ed_23be_b54f_86c6_f402n;
const P2 = 0x4a_ddca_bfb5_5527_3659_6c8fn;
const Q1 = 0x1_2de5_92fb_bb70_4220_543d_0f8an;
const Q2 = 0x1d_60b7_4411_58f2_993d_07d9n;
const COEF_SCALE = 100;

/** Significant bits of the host's internal values. */
const INTERNAL_BITS = 68;

/** The model applies below 2^-16 (unbiased exponent of x at most -17). */
export const SMALL_F2XM1_EXP = -16;

/** Below this exponent of x the x^2 terms lie below 2^-70 relative and p = P0, q = Q0. */
const SQUARE_TERMS_EXP = -40;

/** Nearest-even rounding of v × 2^-shift (v >= 0, shift >= 0) to an integer. */
function roundShift(v: bigint, shift: bigint): bigint {
  if (shift <= 0n) return v << -shift;
  const q = v >> shift;
  const rem = v & ((1n << shift) - 1n);
  const half = 1n << (shift - 1n);
  return rem > half || (rem === half && (q & 1n) === 1n) ? q + 1n : q;
}

/** v > 0 rounded to nearest-even at INTERNAL_BITS significant bits: { m, e } with value m × 2^e. */
function rn68(v: bigint, e: number): { m: bigint; e: number } {
  const drop = bitLength(v) - INTERNAL_BITS;
  if (drop <= 0) return { m: v, e };
  const m = roundShift(v, BigInt(drop));
  // Rounding up may carry into a 69th bit; the value is then a power of two.
  return bitLength(m) > INTERNAL_BITS ? { m: m >> 1n, e: e + drop + 1 } : { m, e: e + drop };
}

/** c0 + c1 z + c2 z^2 rounded to the 2^-67 grid, for z = sig^2 × 2^(2 scale). */
function coefficientPoly(c0: bigint, c1: bigint, c2: bigint, sig: bigint, scale: number): bigint {
  // z × 2^67 × c1 / 2^100 = c1 sig^2 2^(2 scale - 33); the x^4 term has 2^(4 scale - 33).
  const s2 = BigInt(COEF_SCALE - PQ_SCALE - 4 * scale);
  const sq = sig * sig;
  const num = (c0 << s2) + ((c1 * sq) << BigInt(-2 * scale)) + c2 * sq * sq;
  return roundShift(num, s2);
}

/**
 * 2^x - 1 as the host computes it, for x = (-1)^sign × sig × 2^scale with |x| < 2^-16 (sig > 0,
 * of any width: normalized first, as the host normalizes denormals). Returns the host's
 * internal quotient as num / den × 2^exp (to be rounded once to the destination).
 */
export function smallF2xm1(sign: number, sig: bigint, scale: number): { num: bigint; den: bigint; exp: number } {
  const shift = 64 - bitLength(sig);
  const m = sig << BigInt(shift);
  const s = scale - shift;
  const square = s + 63 >= SQUARE_TERMS_EXP;
  const p = square ? coefficientPoly(P0, P1, P2, m, s) : P0;
  const q = square ? coefficientPoly(Q0, Q1, Q2, m, s) : Q0;
  // N = RN68(|x| p), |N| = n.m × 2^n.e.
  const n = rn68(m * p, s - PQ_SCALE);
  // D = RN68(q -+ |N| / 4) on a common grid (N / 4 = n.m × 2^(n.e - 2), far below q's grid).
  const g = Math.min(n.e - 2, -PQ_SCALE);
  const qAligned = q << BigInt(-PQ_SCALE - g);
  const nAligned = n.m << BigInt(n.e - 2 - g);
  const d = rn68(sign ? qAligned + nAligned : qAligned - nAligned, g);
  // v = N / (2 D).
  return { num: n.m, den: d.m, exp: n.e - 1 - d.e };
}

/** Quotient bits formed before rounding: more than the 64 of the result plus guard bits. */
const QUOTIENT_BITS = 70;

/**
 * F2XM1 of x = (-1)^sign × sig × 2^scale, |x| < 2^-16, rounded once from the host's internal
 * quotient. PE is always set (the host's result is never exact here).
 */
export function hostSmallF2xm1(sign: number, sig: bigint, scale: number, env: FpEnv): F80 {
  const v = smallF2xm1(sign, sig, scale);
  const k = QUOTIENT_BITS - (bitLength(v.num) - bitLength(v.den));
  const q = (v.num << BigInt(k)) / v.den;
  const sticky = q * v.den === v.num << BigInt(k) ? 0n : 1n;
  const r = roundExtended(sign, (q << 1n) | sticky, v.exp - k - 1, env);
  env.flags |= Sw.PE;
  return r;
}
