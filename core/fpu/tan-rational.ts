// FPTAN as the host's microcode computes it (AMD EPYC family 1Ah, the CPU the x87 fixtures were
// recorded on), for reduced arguments r from 2^-33 to pi/4 (below 2^-33 core/fpu/tan-small.ts
// gives the same S / C in closed form; transcend.ts ftan reduces larger operands first, with
// the host's 66-bit pi, and returns -C / S for odd multiples of pi/2).
//
// The host divides two 68-bit values, tan r = S / C rounded once, S = RN68(r P), and P / C is
// ONE rational approximation r P(y) / Q(y) of degree 4 over 4 in y = r^2 (near the Pade
// approximant [9/8] of tan), scaled by the K of tan-small.ts so that P(0) = Q(0) = K. No table,
// no second interval. Every step is rounded to nearest-even at 68 significant bits (RN68):
//
//   y = RN68(r^2),  t = c4,  t = RN68(RN68(t y) + c_k) for k = 3, 2, 1,  P = RN68(K + RN68(t y))
//
// with constants c_k = K p_k (K q_k for C): all on the 68-bit grid except K p1, which lies
// halfway between two grid points (see below). P and C lie in [1, 2): multiples of 2^-67. K
// itself is the denominator's normalization: K q4 = 2^-19 exactly (Q is 2^-19 times a monic
// quartic in y; free fits of q4 all landed within 1e-14 of it, from both sides).
//
// What was measured (throwaway Python on native/unary-oracle.c; tests/harness-x87/README.md,
// the FPTAN subsections, "FPTAN from 2^-5 to pi/4: one rational" last): RC up, down and nearest
// place the host's quotient to half an ulp. Below 2^-18 the x^2 terms of P and C were read in
// windows of consecutive significands, up to 2^-5 a common factor of P and C; a sample whose
// predicted P lies near a rounding tie while C lies far from one (or the other way round) tells
// on which side of the tie the host's P (or C) lies (near pi/4 the bound is put on the last
// product t y, whose 68-bit rounding fixes K + RN68(t y) on a grid of 1/8 of a unit). Linear
// programming fitted p1..p4 and q1..q3 to 11,938 such bounds from 234,000 operands between
// 2^-6 and pi/4 (least total violation, 96 left unmet by 0.04 of a unit on average; r P / Q
// held within 2^-66 of tan r; P and C within 0.03 of a unit of the earlier small-operand
// readings below 2^-6), stepping up in r, each step's fit choosing the next step's samples.
// The order of the roundings was chosen by which variant leaves the fewest bounds unmet in
// [0.40, 0.46): y exact, or RN67, RN69 or truncated to 68 bits, leave 2.5-5 times as many; an
// unrounded last product t y 3 times as many. The rational alone lies above tan r, by 2^-69.8
// relative at pi/4: the host's mean error (+0.02 ulp there) is its own.
// Refined (session 7, throwaway scripts in /tmp/s7/tangrid) on 490,750 host operands in
// [2^-6, pi/4] (RC near, down, up each) whose P or C lies near a tie, counting exactly the
// operands no (P, C) of the model explains: a mixed-integer LP with all seven constants on the
// 68-bit grid, then exact-count scans by whole units (joint p1/p2 moves along their near-flat
// direction), stops at 540 unexplained; letting K p1 and K q1 move by quarter units from there
// reaches 352 (the constants before: 546), with K p1 exactly half a unit off the grid and K q1
// back on it. Scanned in 1/16 units on 300,000 fresh operands in [1/4, pi/4], both are sharp
// minima (K p1: 190 unexplained, 202-210 at +-1/16, 401-486 at +-1/4; K q1: 190, 569-638 at
// +-1/16). A 69-bit or unrounded sum for t at the p1 step leaves 408-442. p2..p4, q2, q3 move P
// or C by 1/700 of a unit per unit or less: they are only known to tens or hundreds of units
// (p3 drifted by 1,160 units of 2^-81 along a flat direction). On those 300,000 operands the
// constants before leave 309 unexplained, the best all-grid ones 302.
// Checked with `npx tsx tests/harness-x87/fptan-host.ts 5000 -33 -6` and `... 2500 -5 -1`
// (random r in every binade, and as many k pi/2 + r, both signs, every RC; value, C1 and flags):
// 280,000 of 280,000 match the host below 2^-5 (correctly rounded tangent: 270,974) and 24,995
// of 25,000 from 2^-5 to pi/4 (correctly rounded: 24,113), the misses above 2^-2; with
// `... 10000 -5 -1 <seed>` for seeds fptan-host, s7-tangrid-2 and -3: 299,940 of 300,000 (the
// constants before 299,912, correctly rounded 289,556).

import { type Bin, horner68, mul68 } from './host68.ts';
import { HOST_TAN_K } from './tan-small.ts';

/** K p_k × 2^128 for k = 1..4 (P / K = 1 - 0.13728894607888414825 y + ...). */
const P_COEFFS_128 = [
  -0x330e_8dc2_a929_e249_be00_0000_0000_0000n,
  0x175_c478_181b_f216_7f00_0000_0000_0000n,
  -0x2_be87_c5b9_bed3_930e_8000_0000_0000n,
  0xb6_a503_b056_7512_ad60_0000_0000n,
];

/** K q_k × 2^128 for k = 1..4 (Q / K = 1 - 0.47062227941221748159 y + ...); K q4 = 2^-19. */
const Q_COEFFS_128 = [
  -0xaf05_74ac_9e27_88b6_4000_0000_0000_0000n,
  0xa36_f565_1e07_ee26_7100_0000_0000_0000n,
  -0x26_5e3b_ff92_2a56_b2d8_0000_0000_0000n,
  0x2000_0000_0000_0000_0000_0000_0000n,
];

/** K, K p1, ..., K p4 and K, K q1, ..., K q4: Horner's constants, highest degree last. */
const P: readonly Bin[] = [HOST_TAN_K, ...P_COEFFS_128.map((m) => ({ m, e: -128 }))];
const Q: readonly Bin[] = [HOST_TAN_K, ...Q_COEFFS_128.map((m) => ({ m, e: -128 }))];

/**
 * The host's tan r for r = sig × 2^scale in [2^-33, pi/4] (sig of any width, as the exact
 * reduction leaves it), as a quotient num / den × 2^exp to be rounded once: S = RN68(r P)
 * over C.
 */
export function rationalTan(sig: bigint, scale: number): { num: bigint; den: bigint; exp: number } {
  const r: Bin = { m: sig, e: scale };
  const y = mul68(r, r);
  const c = horner68(Q, y);
  const s = mul68(r, horner68(P, y));
  return { num: s.m, den: c.m, exp: s.e - c.e };
}
