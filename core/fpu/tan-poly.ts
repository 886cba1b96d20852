// FPTAN of operands in [2^-33, 2^-18) as the host's microcode computes it (AMD EPYC family 1Ah,
// the CPU the x87 fixtures were recorded on). Below 2^-33 core/fpu/tan-small.ts applies.
//
// The host divides two 68-bit values (tests/harness-x87/README.md "FPTAN: a ratio of two
// polynomials"):
//
//   P = RN68(K - cp x^2),  S = RN68(x P),  C = RN68(K - cq x^2),  tan x = S / C rounded once,
//
// with K the scale of tan-small.ts (K x 2^65 = 0x2e7c9697bbdf1e68b; K and P and C lie in
// [1, 2), so RN68 keeps multiples of 2^-67 there) and RN68 nearest-even at 68 significant
// bits. S / C is a rational approximation of tan, not K sin x / K cos x: cp = K (1/6 - g) and
// cq = K (1/2 - g) with g = 0.029377 (cq - cp = K / 3, which the x^3 term of tan needs).
// Measured, not assumed: over 160 consecutive significands C is one multiple of 2^-67 and the
// results fit S = RN68(x P) for exactly one P = K - n 2^-67; n and the multiple m of C, read in
// 22 such windows from 2^-29 to 2^-25, round cp x^2 and cq x^2 with cp in [0.1994403,
// 0.1994417) and cq in [0.6836764, 0.6836783). cq is then taken from the point where C first
// drops below K (bisected by session 5, tan-small.ts C_DROP_SIG): cq x^2 = 2^-68 there,
// the tie that RN68 resolves to K; cp = cq - K/3. From 2^-18 up the x^4 terms show (988 of
// 1,000 random operands in [2^-17, 2^-16) still match).

import { bitLength } from './float80.ts';
import { roundShift } from './round-shift.ts';

/** The model applies for 2^-33 <= |x| < 2^POLY_TAN_LIMIT_EXP. */
export const POLY_TAN_LIMIT_EXP = -18;

/** K × 2^67, K = 0x2e7c9697bbdf1e68b × 2^-65 (core/fpu/tan-small.ts). */
const K_UNITS = 0x2_e7c9_697b_bdf1_e68bn << 2n;

/** Fraction bits of CQ and CP. */
const COEFF_BITS = 128;

/** The significand (J bit set, exponent -34) where C first drops below K: cq x^2 = 2^-68 there. */
const C_DROP_SIG = 0x9ace_08d6_3de1_3000n;

/** cq × 2^128 = 2^-68 / (C_DROP_SIG × 2^-97)^2 × 2^128, rounded. */
const CQ = ((1n << 254n) + (C_DROP_SIG * C_DROP_SIG) / 2n) / (C_DROP_SIG * C_DROP_SIG);

/** cp × 2^128 = cq - K/3. */
const CP = CQ - (((K_UNITS << 61n) * 2n + 3n) / 6n);

/** Significant bits of S, P and C. */
const SCALED_BITS = 68;

/** K - c x^2 rounded to a multiple of 2^-67 (x = sig × 2^scale), in units of 2^-67. */
function kMinus(c: bigint, sig: bigint, scale: number): bigint {
  // c x^2 / 2^-67 = c sig^2 2^(2 scale + 67 - 128); K_UNITS is even, so a tie of K - t keeps an even t.
  return K_UNITS - roundShift(c * sig * sig, BigInt(COEFF_BITS - 67 - 2 * scale));
}

/**
 * The host's tan |x| for |x| = sig × 2^scale with 2^-33 <= |x| < 2^POLY_TAN_LIMIT_EXP, as a
 * quotient num / den × 2^exp to be rounded once.
 */
export function polyTan(sig: bigint, scale: number): { num: bigint; den: bigint; exp: number } {
  return hostQuotient(sig, scale, kMinus(CP, sig, scale), kMinus(CQ, sig, scale));
}

/**
 * The host's S / C for x = sig × 2^scale from P and C in units of 2^-67 (every FPTAN model
 * shares this end): S = RN68(x P), as a quotient num / den × 2^exp to be rounded once.
 */
export function hostQuotient(sig: bigint, scale: number, p: bigint, c: bigint): { num: bigint; den: bigint; exp: number } {
  // S = RN68(x P): the product sig p 2^(scale - 67) rounded to SCALED_BITS significant bits.
  const prod = sig * p;
  const drop = BigInt(Math.max(0, bitLength(prod) - SCALED_BITS));
  const s = roundShift(prod << 1n, drop + 1n);
  // S / C = s 2^(drop + scale - 67) / (c 2^-67).
  return { num: s, den: c, exp: Number(drop) + scale };
}
