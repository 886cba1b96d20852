// F2XM1 (SDM Vol. 2A F2XM1: 2^x - 1 for -1 < x < +1) as the host's microcode computes it (AMD
// EPYC family 1Ah, the CPU the x87 fixtures were recorded on). The host does not round 2^x - 1
// correctly: it evaluates ONE rational approximation of the Cody-Waite shape over the whole
// range, no argument reduction and no table,
//   t = x^2, p = P(t), q = Q(t)  (Horner, P and Q cubics),
//   N = |x| p, D = q -+ N / 4    (- for x > 0),
//   2^x - 1 = (N / 2) / D        (so 2^x = (q + x p / 4) / (q - x p / 4)),
// with t, every product and sum of the Horner steps, N and D rounded to nearest-even at 68
// significant bits and the quotient rounded once to the destination
// (tests/harness-x87/README.md "F2XM1: one rational over the whole range").
//
// Where the coefficients come from:
// - P0 and Q0 were read bit for bit from operands below 2^-40 (the result there is
//   RN68(x P0) / (2 Q0)), P1 / P0 and P2 / P0 from windows of x up to 2^-6.4. Those ratios
//   single out the design: P / Q is the [3/3] minimax approximation (in t) of
//   4 tanh(x ln 2 / 2) / x for the relative error of 2^x - 1 over -1 <= x <= 1 (max error
//   2^-72.4): its P1 / P0 is the host's to 3.5e-9 relative (over |x| <= 1/2, or for the plain
//   relative error of P / Q, it is off by 1e-4 and 1.5e-6). Scaled to the host's P0 it gives
//   the host's Q0 (to 0.06 of the last unit) and Q3 = 2^-21 to 3.5e-8; a weight exponent of
//   0.99765 instead of 1 makes Q3 = 2^-21 exact and then gives P1 / P0 to 2.4e-14 and
//   P2 / P0 to 6e-12 relative: the host normalizes Q3 = 2^-21.
// - The last bits of a minimax depend on details of the criterion that the measured ratios do
//   not fix (the coefficients have a near-flat direction), and from x = 2^-5 up they matter.
//   So the host's P1 was read again in windows of x across (-1, 1): 600 random operands within
//   2^-11 of a point, the host's results with RC up, down and nearest, and offsets of p (q
//   following, so that the rational stays exact) in steps of 1/32 of p's last unit. The
//   offsets grow as 28 t units (0.09 at x = 0.06, 1.9 at x = 0.26). That is a correction of P1
//   which windows below 2^-6 could not see. The minimax constrained to that P1 and to
//   Q3 = 2^-21 leaves no offset in any window (its weight's exponent and its range move by
//   0.2 % and 2e-6, see the README). A scan of the correction in steps of 0.005 to 0.02 units
//   over 12,000 random operands in [1/4, 1) puts it at 28.14 × 2^-67.
// - Each Horner product is rounded before its sum. On 24,000 results in [1/2, 1) that model
//   misses 17; one rounding per step (a fused multiply-add) misses 69.
// - The misses left all wanted q a little larger, and Q2 is 41 × 2^-79 (0.01 of q's last unit
//   at t = 1) above the minimax's: chosen on 12,000 operands in [1/2, 1) (10 misses to 2),
//   then on 12,000 fresh ones in [1/4, 1): 7 misses to 2, all in the same direction.
// - Coefficients rounded to 68 bits, as every other host constant; their last bits move p by
//   less than 1/100 of its last unit.
// Measured with `npx tsx tests/harness-x87/f2xm1-host.ts 40000 [seed]`: random operands over
// the whole range, 70 % of them in the binades 2^-8 to 2^-1, every RC, with result, C1 and flags
// compared. The model matches the host in 40,000, 40,000 and 39,999 of 40,000 (seeds default,
// fresh-2, fresh-3; fresh-4 to fresh-6, used for no choice: 39,996, 39,998, 39,998);
// correct rounding matches 36,667, 36,698 and 36,649 (36,707, 36,755, 36,650).
import { type F80 } from './float80.ts';
import { type FpEnv } from './round.ts';
import { add68, type Bin, horner68, mul68, roundQuotient } from './host68.ts';

/** P0..P3: the numerator's coefficients (P0 ≈ 1.84319, P1 ≈ 0.0283801, P2 ≈ 7.43e-5, P3 ≈ 2.36e-8). */
const P: readonly Bin[] = [
  { m: 0xe_bed9_07fc_bb85_b9d8n, e: -67 },
  { m: 0xe_87d6_bda4_37af_e245n, e: -73 },
  { m: 0x9_be60_d47a_553a_73b4n, e: -81 },
  { m: 0xc_a971_a0ec_1c94_c07en, e: -93 },
];
/** Q0..Q3: the denominator's coefficients (Q0 ≈ 1.32958, Q1 ≈ 0.0737053, Q2 ≈ 4.47e-4, Q3 = 2^-21). */
const Q: readonly Bin[] = [
  { m: 0xa_a2fa_223a_d82d_2d2dn, e: -67 },
  { m: 0x9_6f2c_97dd_df79_01afn, e: -71 },
  { m: 0xe_a5c0_005e_3c9b_59a5n, e: -79 },
  { m: 1n, e: -21 },
];

/**
 * The host's internal 2^x - 1 for x = (-1)^sign × sig × 2^scale, 0 < |x| < 1 (sig > 0 of any
 * width, so a denormal counts with its value, as the host normalizes it):
 * |result| = num / den × 2^exp.
 */
export function hostF2xm1Quotient(
  sign: number,
  sig: bigint,
  scale: number,
): { num: bigint; den: bigint; exp: number } {
  const x: Bin = { m: sig, e: scale };
  const t = mul68(x, x);
  const p = horner68(P, t);
  const q = horner68(Q, t);
  const n = mul68(x, p);
  // D = q - N / 4 for x > 0 and q + |N| / 4 for x < 0.
  const quarter: Bin = { m: sign ? n.m : -n.m, e: n.e - 2 };
  const d = add68(q, quarter);
  return { num: n.m, den: d.m, exp: n.e - 1 - d.e };
}

/**
 * F2XM1 of x = (-1)^sign × sig × 2^scale, 0 < |x| < 1, rounded once from the host's internal
 * quotient.
 */
export function hostF2xm1(sign: number, sig: bigint, scale: number, env: FpEnv): F80 {
  const v = hostF2xm1Quotient(sign, sig, scale);
  return roundQuotient(sign, v.num, v.den, v.exp, env);
}
