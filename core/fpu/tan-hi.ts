// FPTAN of reduced arguments in [2^-6, 2^-5) as the host's microcode computes it (AMD EPYC
// family 1Ah): the same S / C as core/fpu/tan-mid.ts (P and C on the grid of 2^-67, S =
// RN68(x P), the quotient rounded once), with P and C read from the host in this binade
// alone. Above 2^-5 the correctly rounded tangent is used (transcend.ts ftan).
//
// What was measured (throwaway Python on native/fptan-oracle.c, tests/harness-x87/README.md
// "FPTAN from 2^-6 to 2^-5"): tan-mid.ts's P and C miss from x = 0.017 on, more often the
// larger x, as a slightly wrong coefficient does, not as a breakpoint. Starting from them,
// each step to a slightly larger x took the random operands (RC nearest, down and up) whose
// predicted P lay within 0.25 of a rounding tie while C lay at least 0.35 from one (or the
// other way round): the host's result says which way that value rounded, which bounds P (or
// C) at that y to half a unit. Linear programming (scipy) then moved the y^3 to y^6
// coefficients of P and of C to satisfy all bounds with the widest margin. The last step
// used 477 bounds on P and 470 on C from 23,808 operands of the binade, with one P bound
// left unmet and margins of about 0.0001 of a unit: the bounds hold, but only just.
// The y^5 and y^6 coefficients are far larger than tan's series allows (P6 = 0.06): they
// describe P and C in this binade only, not the host's polynomials, whose true form in y
// (or a table behind them) was not found. The model is a measured local fit and stops
// at 2^-5 for that reason.
// Checked with `npx tsx tests/harness-x87/fptan-host.ts 10000 -6 -6` (both signs, every RC;
// value, C1 and flags): 9,995 of 10,000 random operands in [2^-6, 2^-5) and 9,991 of 10,000
// operands k pi/2 + r with r there match the host, against 9,655 and 9,657 for the correctly
// rounded tangent (of the reduced argument).

import { decimal, FRAC, K_FIXED, polyRatio } from './tan-mid.ts';

/** The model applies below 2^HI_TAN_LIMIT_EXP, from tan-mid.ts's limit (2^-6) on. */
export const HI_TAN_LIMIT_EXP = -5;

/** K × (1, p1, p2, ...) × 2^FRAC. */
function scaled(coeffs: readonly string[]): bigint[] {
  return [K_FIXED, ...coeffs.map((c) => (K_FIXED * decimal(c)) >> FRAC)];
}

/** P / K = 1 + p1 y + ... + p8 y^8 in [2^-6, 2^-5): p1, p2 are tan-mid.ts's, p3..p6 fitted. */
const P_COEFFS = scaled([
  '-0.137288946078884148868666666666666666666667',
  '0.00392593468442362642033333333333333333333333',
  '-0.0000288248959024158173980382794894129759007565',
  '0.000000184550866440023660882492540273502357898993',
  '-0.000159097610072390002290210374527670264375261',
  '0.0607672330999921219806149521433391014566247',
  '-0.0000000000366963770121059590037601777019766437755856',
  '0.000000000000536026222008463424918677505823475322385998',
]);

/** C / K = 1 + q1 y + ... + q8 y^8 in [2^-6, 2^-5): q1, q2 are tan-mid.ts's, q3..q6 fitted. */
const C_COEFFS = scaled([
  '-0.470622279412217482202000000000000000000000',
  '0.0274666944884961204876666666666666666666667',
  '-0.000403006436137220513154024974172156863342515',
  '0.00000145366247435439747245184119224132385872968',
  '-0.000133695437211957274862541456588662393634433',
  '0.0469135065843337039759217973095090110967138',
  '-0.000000000249203265204130438340695533155850616168076',
  '0.00000000000471258484014569862671346632986844627056267',
]);

/**
 * The host's tan |x| for |x| = sig × 2^scale in [2^-6, 2^HI_TAN_LIMIT_EXP), as a quotient
 * num / den × 2^exp to be rounded once.
 */
export function hiTan(sig: bigint, scale: number): { num: bigint; den: bigint; exp: number } {
  return polyRatio(P_COEFFS, C_COEFFS, sig, scale);
}
