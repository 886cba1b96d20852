// FPTAN of a small operand as the host's microcode computes it (AMD EPYC family 1Ah, the CPU
// the x87 fixtures were recorded on). tan(x) = x + x^3/3 + ... is x to far better than the
// last bit when |x| < 2^-34, but the host does not return the value just above x that a
// correctly rounded tan would give: its result lies just above or just below x depending on
// the significand alone, the same at every exponent (tests/harness-x87/README.md).
//
// What the host does there, measured with tests/harness-x87/fptan-small.ts (it reads the
// constant's bits back from the host; tests/harness-x87/README.md "FPTAN of small operands"):
// it works on S = K sin(x) and C = K cos(x) for a 66-bit constant K (about 1.4527), each
// rounded to 68 significant bits to nearest-even, and returns S / C. Below 2^-34 that is
// RN68(x × K) / K: the x^3 term of S and the x^2 term of C round away, so the result lies
// above x exactly when RN68 rounded the product up. In the binade [2^-34, 2^-33) C drops
// by one unit of its 68th bit once x passes a point measured on the host (the host's x^2
// term is not quite K/2, so the point is not where RN68(K cos x) would move). Measured:
// these rules give the host's side of x on 3,000 random significands per binade and on
// every FPTAN fixture case below 2^-33; from 2^-33 on, the host's polynomial terms show
// (core/fpu/tan-rational.ts).

import { bitLength } from './float80.ts';
import { type Bin, INTERNAL_BITS, rn68 } from './host68.ts';

/** K: the host's scale factor, 66 significant bits (tan-rational.ts: P(0) = Q(0) = K). */
export const HOST_TAN_K: Bin = { m: 0x2_e7c9_697b_bdf1_e68bn, e: -65 };
/** K × 2^65. */
const HOST_TAN_SCALE = HOST_TAN_K.m;

/** Significant bits S and C keep: the host's internal precision. */
const SCALED_BITS = INTERNAL_BITS;

/** Below this unbiased exponent (|x| < 2^-33) the small-operand model applies. */
export const SMALL_TAN_EXP = -33;

/**
 * In the binade [2^-34, 2^-33): the significand from which the host's C is K less one unit
 * of its 68th bit (bisected on the host to within 2^-22 of a unit of the 64-bit significand).
 */
const C_DROP_SIG = 0x9ace_08d6_3de1_3000n;

/** Nearest-even rounding of n / d (n, d > 0) to `bits` significant bits, as q × 2^shift. */
function roundRatio(n: bigint, d: bigint, bits: number): { q: bigint; shift: bigint } {
  let shift = BigInt(bitLength(n) - bitLength(d) - bits);
  for (;;) {
    const den = shift >= 0n ? d << shift : d;
    const num = shift >= 0n ? n : n << -shift;
    let q = num / den;
    if (q >= 1n << BigInt(bits)) {
      shift += 1n;
      continue;
    }
    if (q < 1n << BigInt(bits - 1)) {
      shift -= 1n;
      continue;
    }
    const twice = 2n * (num - q * den);
    if (twice > den || (twice === den && (q & 1n) === 1n)) q += 1n;
    return { q, shift };
  }
}

/** The integer p > 0 rounded to nearest-even at SCALED_BITS significant bits. */
function rn68Int(p: bigint): bigint {
  const r = rn68({ m: p, e: 0 });
  return r.m << BigInt(r.e);
}

/** Where RN68(p) lies against the integer p > 0: +1 above, -1 below, 0 on it. */
export function roundingSide(p: bigint): -1 | 0 | 1 {
  const rounded = rn68Int(p);
  return rounded > p ? 1 : rounded < p ? -1 : 0;
}

/**
 * Where the host's tan lies against |x| for |x| = sig × 2^scale below 2^-33 (sig nonzero, of
 * any width: normalized first, as the host normalizes denormals): +1 above, -1 below, 0 on |x|.
 */
export function smallTanDirection(sig: bigint, scale: number): -1 | 0 | 1 {
  const shift = 64 - bitLength(sig);
  const m = sig << BigInt(shift);
  // x = m × 2^(e - 63) with e the unbiased exponent; x K = m K 2^(e - 128).
  const e = scale - shift + 63;
  const exact = m * HOST_TAN_SCALE;
  // S / C = RN68(x K) / K.
  if (e < -34 || m < C_DROP_SIG) return roundingSide(exact);
  const y = rn68Int(exact);
  // e = -34: x = m 2^-97, K = HOST_TAN_SCALE 2^-65, C = K - 2^-67 = (4 HOST_TAN_SCALE - 1) 2^-67,
  // S = RN68(RN68(x K) - K x^3 / 6) = RN68((6 y 2^194 - K m^3) / (6 2^356)) with x K = y 2^-162.
  const s = roundRatio(6n * y * (1n << 194n) - HOST_TAN_SCALE * m * m * m, 6n, SCALED_BITS);
  // sign(S / C - x) = sign(S 2^356 - m (4K - 1) 2^192); S is far above 2^68, so shift > 0.
  const lhs = s.q << s.shift;
  const rhs = (m * (4n * HOST_TAN_SCALE - 1n)) << 192n;
  return lhs > rhs ? 1 : lhs < rhs ? -1 : 0;
}
