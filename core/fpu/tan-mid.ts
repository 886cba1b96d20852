// FPTAN of operands in [2^-18, 2^-6) as the host's microcode computes it (AMD EPYC family 1Ah,
// the CPU the x87 fixtures were recorded on). Below 2^-18 core/fpu/tan-poly.ts applies, from
// 2^-6 to 2^-5 core/fpu/tan-hi.ts (through polyRatio below), above 2^-5 the correctly rounded
// tangent (transcend.ts), except that the models also take a reduced argument r = |x| - k pi/2
// (the host's 66-bit pi, exact) in [2^-33, 2^-5): the host returns S / C of |r| for even k and
// -C / S for odd k (transcend.ts ftan).
//
// The host divides two 68-bit values, tan x = S / C rounded once, S = RN68(x P), with P and C
// even polynomials on the grid of 2^-67 (they lie in [1, 2); RN68 rounds to nearest):
//
//   P = RN68(K M(y) sin(x) / x),  C = RN68(K M(y) cos x),  y = x^2,
//   M(y) = 1 + g y + m2 y^2 + m3 y^3 + m4 y^4,
//
// K the scale of tan-small.ts. P and C are the host's polynomials; what was measured is that
// P / (K sin(x) / x) and C / (K cos x) agree within a unit of 2^-67 in every reading up to 2^-7,
// so P / C is tan(x) / x to the last bit, the host's error is the rounding of P, C, S and the
// quotient, and both can be written with one smooth factor M (tests/harness-x87/README.md
// "FPTAN from 2^-18 to 2^-6"). Readings: in windows of 60-200 consecutive significands where
// tan lies near a 64-bit grid point, RC up, down and nearest bound each result to half an ulp,
// and exactly one P = K - n 2^-67 near the prediction lets one C = K - m 2^-67 explain all of
// them; 549 such windows from 2^-14 to 2^-5 give n and m, and 2,077 random operands below 2^-6
// whose predicted P or C lay within 0.1 of a rounding tie (the other at least 0.2 from one)
// give n or m: the host's result tells which way it rounded. A quartic M fits all of them
// with linear programming (outside the repository, Python's scipy), read binade by binade
// from 2^-14 up, each fit predicting the next binade's windows; its g lies 9.6e-14 below the
// one tan-poly.ts derives from C's drop at 2^-34, which no operand below 2^-18 can tell
// apart. In [2^-6, 2^-5) the fit misses from x = 0.019 on (8 % of operands): the model stops
// at 2^-6.
// Checked with `npx tsx tests/harness-x87/fptan-host.ts 5000` (both signs, every RC; value, C1
// and flags): from 2^-18 to 2^-10, 40,000 of 40,000 random operands match the host (correctly
// rounded: 38,645), from 2^-10 to 2^-6 19,998 of 20,000 (correctly rounded: 19,290), and
// operands k pi/2 + r with r in those ranges 59,995 of 60,000 (correctly rounded reduced
// argument: 57,983). The misses (3 of 24,000 in a Python replay) have P or C within 0.002 of a
// unit from a rounding tie.

import { roundShift } from './round-shift.ts';
import { hostQuotient } from './tan-poly.ts';

/** The model applies below 2^MID_TAN_LIMIT_EXP, from tan-poly.ts's limit (2^-18) on. */
export const MID_TAN_LIMIT_EXP = -6;

/** Fraction bits of the fixed-point coefficients below (and of polyRatio's). */
export const FRAC = 192n;

/** K × 2^FRAC, K × 2^65 = 0x2e7c9697bbdf1e68b (core/fpu/tan-small.ts). */
export const K_FIXED = 0x2_e7c9_697b_bdf1_e68bn << (FRAC - 65n);

/** A decimal fraction `0.ddd` or `-0.ddd` × 2^FRAC (truncated toward zero). */
export function decimal(s: string): bigint {
  const neg = s.startsWith('-');
  const digits = s.slice(neg ? 3 : 2);
  const v = (BigInt(digits) << FRAC) / 10n ** BigInt(digits.length);
  return neg ? -v : v;
}

/** M's coefficients 1, g, m2, m3, m4 as fitted to the host's readings, × 2^FRAC. */
const M_COEFFS = [
  1n << FRAC,
  decimal('0.029377720587782517798'),
  decimal('0.00048888811572071272'),
  decimal('0.0000062548048804606891'),
  decimal('0.00000023001717856544423'),
];

/** Terms of y^k kept: y < 2^-12, so y^8 / 15! lies far below 2^-67. */
const DEGREE = 7;

/** (-1)^j / (2j + first)! × 2^FRAC for j = 0..DEGREE: sin(x)/x (first = 1) and cos x (first = 0). */
function trigSeries(first: number): bigint[] {
  const out: bigint[] = [];
  let fact = 1n;
  for (let n = 1; n <= first; n++) fact *= BigInt(n);
  for (let j = 0; j <= DEGREE; j++) {
    if (j > 0) fact *= BigInt(2 * j + first - 1) * BigInt(2 * j + first);
    out.push(((j & 1 ? -1n : 1n) << FRAC) / fact);
  }
  return out;
}

/** The coefficients of K M(y) × series(y) up to y^DEGREE, × 2^FRAC. */
function scaledProduct(series: bigint[]): bigint[] {
  const out: bigint[] = [];
  for (let k = 0; k <= DEGREE; k++) {
    let c = 0n;
    for (let i = 0; i < M_COEFFS.length && i <= k; i++) c += M_COEFFS[i] * series[k - i];
    out.push((K_FIXED * c) >> (2n * FRAC));
  }
  return out;
}

const P_COEFFS = scaledProduct(trigSeries(1));
const C_COEFFS = scaledProduct(trigSeries(0));

/** sum c_k y^k (y = (sig × 2^scale)^2) rounded to a multiple of 2^-67, in units of 2^-67. */
function gridValue(coeffs: readonly bigint[], sig: bigint, scale: number): bigint {
  // c_k y^k 2^(67 - FRAC) = c_k sig^2k 2^(2 scale k + 67 - FRAC); bring every term to the
  // exponent of the last one (scale < 0).
  const degree = coeffs.length - 1;
  const sq = sig * sig;
  let sum = 0n;
  let pow = 1n;
  for (let k = 0; k <= degree; k++) {
    sum += (coeffs[k] * pow) << BigInt(-2 * scale * (degree - k));
    pow *= sq;
  }
  return roundShift(sum, FRAC - 67n - BigInt(2 * scale * degree));
}

/**
 * S / C for even polynomials P and C in y = x^2 (coefficients × 2^FRAC, on the scale of K):
 * P and C rounded to multiples of 2^-67, S = RN68(x P); |x| = sig × 2^scale below 1. The
 * quotient is num / den × 2^exp, to be rounded once.
 */
export function polyRatio(
  pCoeffs: readonly bigint[],
  cCoeffs: readonly bigint[],
  sig: bigint,
  scale: number,
): { num: bigint; den: bigint; exp: number } {
  return hostQuotient(sig, scale, gridValue(pCoeffs, sig, scale), gridValue(cCoeffs, sig, scale));
}

/**
 * The host's tan |x| for |x| = sig × 2^scale in [2^-18, 2^MID_TAN_LIMIT_EXP), as
 * a quotient num / den × 2^exp to be rounded once.
 */
export function midTan(sig: bigint, scale: number): { num: bigint; den: bigint; exp: number } {
  return polyRatio(P_COEFFS, C_COEFFS, sig, scale);
}
