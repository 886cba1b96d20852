// log2 as the host's microcode computes it for FYL2X and FYL2XP1 (AMD EPYC family 1Ah, the
// CPU the x87 fixtures were recorded on). The host does not round y × log2(x) correctly: it
// forms an internal L = log2(x) with 68 significant bits, then rounds y × L once to the
// destination (tests/harness-x87/README.md "FYL2X and FYL2XP1").
//
// What the host does, read back with tests/harness-x87/ylog-host.ts (FYL2X/FYL2XP1 with
// y = 1 + j 2^-63 and RC = toward zero read the 4 bits of L below the result; the reading is
// consistent for every operand tried, so L is exactly on the 68-bit grid and y × L is rounded
// once):
// - FYL2X: x = 2^e × m, m in [1, 2); m >= sqrt 2 (bisected on the host to within 2^-45) is
//   halved and e incremented, so log2(m) = 2 atanh(z) / ln 2 with z = (m - 1) / (m + 1),
//   |z| <= 3 - 2 sqrt 2. FYL2XP1 takes z = x / (2 + x) while |z| < 1/4 (x in (-0.4, 2/3),
//   switch measured on the host), and is FYL2X of 1 + x beyond.
// - Every step is rounded to nearest-even at 68 bits: z = RN68((m - 1) / (m + 1)) (FYL2XP1:
//   RN68(x / RN68(2 + x))), H = RN68(2 C z) with C = 1/ln 2 rounded to 66 bits (read back
//   from FYL2XP1 of x below 2^-70, where L = RN68(x C)), S = RN68(e + H), and
//   L = RN68(S + T) with T the higher terms 2 C (z^3/3 + z^5/5 + ...) as the host's polynomial
//   gives them: the series plus an odd correction of at most 0.3 × 2^-68 (fitted to 18,000
//   readings of L with |z| <= 1/4; what it leaves, up to 0.04 × 2^-68 at |z| = 1/4, is
//   presumably the host's own rounding inside its polynomial, not modelled).
// Measured with `npx tsx tests/harness-x87/ylog-host.ts`: on 20,000 random operands per
// instruction (every RC, random y) the model matches the host in all but 1 of 40,000, where
// correct rounding misses 3 % (figures in the README section).
import { atanhSeries, mulP } from './bigmath.ts';
import { bitLength, type F80, finite, Kind, kind } from './float80.ts';
import { type FpEnv, roundExtended } from './round.ts';
import { INTERNAL_BITS } from './host68.ts';

/** 1/ln 2 rounded to nearest at 66 significant bits, × 2^65 (the host's constant). */
const HOST_LOG2E = 0x2_e2a8_eca5_705f_c2efn;
const HOST_LOG2E_SCALE = -65;

/**
 * The host's tail polynomial less the series 2 C (atanh z - z): sum of K_d z^d × 2^-108
 * (d odd), fitted for |z| <= 1/4 by `npx tsx tests/harness-x87/ylog-host.ts --fit-tail` (18,000
 * readings of L; the fit lies outside the interval of 133 of them, by at most 0.04 × 2^-68).
 */
const TAIL_CORRECTION: readonly [number, bigint][] = [
  [3, -0x5_1dd6_3f83_c7c1n],
  [5, 0x9f0_6be1_51b9_2880n],
  [7, -0x6_968e_c185_f9a6_8000n],
  [9, 0x218_2d91_e4b6_6de0_0000n],
  [11, -0x5cbe_01ab_cf36_1000_0000n],
  [13, 0x9_07fc_6983_8949_8000_0000n],
  [15, -0x78_0cab_ab36_5be4_0000_0000n],
  [17, 0x270_20ea_5cec_b160_0000_0000n],
  [19, 0x822_5bce_6f5d_3400_0000_0000n],
  [21, -0x65fc_8e5c_047a_8800_0000_0000n],
];
const TAIL_CORRECTION_SHIFT = 108n;

/** Below this exponent of z the tail (about z^3) lies below a quarter unit of H's last bit. */
const TAIL_EXP = -36;

/** Fixed-point precision of the tail: far below the last bit of L whenever the tail counts. */
export const TAIL_P = 200;

/** A signed internal value q × 2^exp (q < 2^68 after rounding). */
export interface HostReal {
  neg: boolean;
  q: bigint;
  exp: number;
}

const ZERO_REAL: HostReal = { neg: false, q: 0n, exp: 0 };

/** n / d (d > 0) rounded to nearest-even at 68 significant bits. */
function rn68Ratio(n: bigint, d: bigint, exp: number): HostReal {
  if (n === 0n) return ZERO_REAL;
  const neg = n < 0n;
  const a = neg ? -n : n;
  let shift = INTERNAL_BITS - (bitLength(a) - bitLength(d)) + 1;
  let num = shift >= 0 ? a << BigInt(shift) : a;
  let den = shift >= 0 ? d : d << BigInt(-shift);
  let q = num / den;
  while (q >= 1n << BigInt(INTERNAL_BITS)) {
    den <<= 1n;
    shift -= 1;
    q = num / den;
  }
  while (q < 1n << BigInt(INTERNAL_BITS - 1)) {
    num <<= 1n;
    shift += 1;
    q = num / den;
  }
  const twice = 2n * (num - q * den);
  if (twice > den || (twice === den && (q & 1n) === 1n)) q += 1n;
  return { neg, q, exp: exp - shift };
}

/** An exact value (signed integer n × 2^exp) rounded to 68 bits. */
const rn68 = (n: bigint, exp: number): HostReal => rn68Ratio(n, 1n, exp);

/** A value as a signed integer in units of 2^to (to <= v.exp). */
const aligned = (v: HostReal, to: number): bigint => (v.neg ? -v.q : v.q) << BigInt(v.exp - to);

/** Exponent of the leading bit of a nonzero value. */
const topExp = (v: HostReal): number => v.exp + bitLength(v.q) - 1;

/** 2 C (atanh z - z) = 2 C (z^3/3 + z^5/5 + ...) in fixed point at TAIL_P: the series. */
export function seriesTail(z: HostReal): bigint {
  const zf = aligned(z, -TAIL_P);
  return mulP(atanhSeries(zf, TAIL_P) - zf, HOST_LOG2E << BigInt(TAIL_P + 1 + HOST_LOG2E_SCALE), TAIL_P);
}

/** T(z): the higher terms as the host's polynomial gives them, at TAIL_P. */
function tail(z: HostReal): bigint {
  const zf = aligned(z, -TAIL_P);
  const z2 = mulP(zf, zf, TAIL_P);
  let pow = zf;
  let degree = 1;
  let correction = 0n;
  for (const [d, k] of TAIL_CORRECTION) {
    for (; degree < d; degree += 2) pow = mulP(pow, z2, TAIL_P);
    correction += k * pow;
  }
  return seriesTail(z) + (correction >> TAIL_CORRECTION_SHIFT);
}

/** The reduced argument z and S = RN68(e + H), H = RN68(2 C z): L is RN68(S + T(z)). */
export interface LogSteps {
  z: HostReal;
  s: HostReal;
}

function steps(z: HostReal, e: number): LogSteps {
  const h = z.q === 0n ? ZERO_REAL : rn68(2n * HOST_LOG2E * (z.neg ? -z.q : z.q), z.exp + HOST_LOG2E_SCALE);
  // e + H exactly, at the exponent of H's last bit (H < 1 in magnitude, so that is below 0).
  const low = h.q === 0n ? 0 : Math.min(0, h.exp);
  const s = e === 0 ? h : rn68((BigInt(e) << BigInt(-low)) + (h.q === 0n ? 0n : aligned(h, low)), low);
  return { z, s };
}

/** L = RN68(S + T(z)). */
function finish({ z, s }: LogSteps): HostReal {
  if (z.q === 0n || topExp(z) < TAIL_EXP) return s;
  // The tail is not exact: a sticky bit below everything keeps RN68 from seeing a tie.
  const v = aligned(s, -TAIL_P) + tail(z);
  return rn68(2n * v + (v < 0n ? -1n : 1n), -TAIL_P - 1);
}

/** FYL2X's steps for finite x = sig × 2^scale > 0 (sig of any width). */
export function log2Steps(sig: bigint, scale: number): LogSteps {
  const n = bitLength(sig);
  // m = sig / 2^(n-1) in [1, 2); m >= sqrt 2 (never equal: sqrt 2 is irrational) is halved.
  const e = scale + n - 1;
  const unit = 1n << BigInt(n - 1);
  // z = (m/2 - 1) / (m/2 + 1).
  if (sig * sig > 1n << BigInt(2 * n - 1))
    return steps(rn68Ratio(sig - 2n * unit, sig + 2n * unit, 0), e + 1);
  return steps(rn68Ratio(sig - unit, sig + unit, 0), e);
}

/** FYL2XP1's steps for x = ±sig × 2^scale (sig > 0); undefined for x <= -1. */
export function log2p1Steps(neg: boolean, sig: bigint, scale: number): LogSteps | undefined {
  const top = scale + bitLength(sig) - 1;
  const signed = neg ? -sig : sig;
  if (top < 0) {
    // 2 + x rounded to 68 bits: 2 itself when |x| is below a quarter unit of 2's last bit.
    const d =
      top < -INTERNAL_BITS - 2 ? { neg: false, q: 1n, exp: 1 } : rn68((2n << BigInt(-scale)) + signed, scale);
    const z = rn68Ratio(signed, d.q, scale - d.exp);
    // |z| < 1/4: the series in z (x in (-0.4, 2/3)).
    if (topExp(z) < -2) return steps(z, 0);
  }
  // 1 + x, rounded to 68 bits, through FYL2X's reduction.
  const low = Math.min(0, scale);
  const sum = (1n << BigInt(-low)) + (signed << BigInt(scale - low));
  if (sum <= 0n) return undefined;
  const v = rn68(sum, low);
  return log2Steps(v.q, v.exp);
}

/** The host's L = log2(x) for finite x = sig × 2^scale > 0. */
export const hostLog2 = (sig: bigint, scale: number): HostReal => finish(log2Steps(sig, scale));

/** The host's L = log2(1 + x) for x = ±sig × 2^scale; undefined for x <= -1, where it does not exist. */
export function hostLog2p1(neg: boolean, sig: bigint, scale: number): HostReal | undefined {
  const st = log2p1Steps(neg, sig, scale);
  return st && finish(st);
}

/** y × L rounded once to the destination, as the host does (y finite). */
export function timesHostLog(y: F80, l: HostReal, env: FpEnv): F80 {
  const sign = y.sign ^ (l.neg ? 1 : 0);
  if (l.q === 0n || kind(y) === Kind.Zero) return { sign, exp: 0, mant: 0n };
  const fy = finite(y);
  return roundExtended(sign, l.q * fy.sig, l.exp + fy.scale, env);
}
