// The transcendental functions FSIN FCOS FSINCOS FPTAN FPATAN F2XM1 FYL2X FYL2XP1 (SDM Vol.
// 2A/2B pages and their special-value tables). Each is computed in fixed point far beyond 64
// bits (core/fpu/bigmath.ts) and rounded once to the full 64-bit significand; precision
// control does not apply (SDM Vol. 1 8.1.5.2). Real processors use their own polynomials
// and a finite-precision pi for the argument reduction, so a result may differ from the
// host in the last bit; tests/unit/x87-fixtures.test.ts reports by how much.
import { atanP, divP, pi, sinCosP } from './bigmath.ts';
import { checkOne, checkTwo, type Result } from './arith.ts';
import { bitLength, EXP_BIAS, type F80, finite, INDEFINITE, INF, J_BIT, Kind, kind, withSign } from './float80.ts';
import { type FpEnv, roundExtended } from './round.ts';
import { hostF2xm1 } from './f2xm1-host.ts';
import { hostCos, hostSin, reduceHalfPi } from './sincos-host.ts';
import { Sw } from './status.ts';
import { hostHalfPi, smallAtan } from './atan-small.ts';
import { SMALL_TAN_EXP, smallTanDirection } from './tan-small.ts';
import { rationalTan } from './tan-rational.ts';
import { roundQuotient } from './host68.ts';
import { hostLog2, hostLog2p1, timesHostLog } from './ylog-host.ts';

/** Working precision: bits below the binary point beyond what the argument's own exponent needs. */
const WORK_BITS = 256;
/** The trigonometric instructions accept |x| < 2^63 (SDM Vol. 2A FSIN: C2 = 1 otherwise). */
export const TRIG_LIMIT_EXP = 63;

/**
 * Below this exponent sin(x) = x - x^3/6 ... and tan(x) = x + x^3/3 ... differ from x, and
 * cos(x) from 1, by less than 2^-130 relative: the result is x (or 1) with a sticky bit on
 * the right side, which decides directed rounding.
 */
const TINY_EXP = -66;

/** |x| just below (-1) or just above (+1) its own value: a register result. */
function nudged(a: F80, dir: number, env: FpEnv): F80 {
  const f = finite(a);
  // The nudge sits below the 64th significant bit, also for a denormal a (whose result may
  // be wrapped with the bias adjustment at full precision when UE is unmasked).
  const k = 66 - bitLength(f.sig);
  return roundExtended(a.sign, (f.sig << BigInt(k)) + BigInt(dir), f.scale - k, env);
}

const isTiny = (a: F80): boolean => {
  const f = finite(a);
  return f.scale + bitLength(f.sig) - 1 < TINY_EXP;
};

/**
 * A fixed-point value v / 2^p rounded as a register result. The true value lies just above
 * |v| (a truncated computation, `below` = false), just below it (`below` = true), or is v
 * itself (`exact`).
 */
function fromFixed(v: bigint, p: number, env: FpEnv, exact = false, below = false): F80 {
  if (v === 0n) return { sign: 0, exp: 0, mant: 0n };
  const sign = v < 0n ? 1 : 0;
  const m = sign ? -v : v;
  if (exact) return roundExtended(sign, m, -p, env);
  return roundExtended(sign, (m << 1n) + (below ? -1n : 1n), -p - 1, env);
}

/** A finite value as fixed point at precision p (exact when p >= -scale). */
function toFixed(a: F80, p: number): bigint {
  if (kind(a) === Kind.Zero) return 0n;
  const f = finite(a);
  const s = f.scale + p;
  const m = s >= 0 ? f.sig << BigInt(s) : f.sig >> BigInt(-s);
  return a.sign ? -m : m;
}

/** Precision that keeps every bit of `a` and WORK_BITS more. */
function precisionFor(a: F80): number {
  const f = finite(a);
  return WORK_BITS + Math.max(0, -f.scale);
}

/** Whether |a| >= 2^63: the trigonometric instructions leave such an operand alone with C2 = 1. */
export function outOfTrigRange(a: F80): boolean {
  const k = kind(a);
  return (k === Kind.Normal || k === Kind.Denormal) && a.exp - EXP_BIAS >= TRIG_LIMIT_EXP;
}

/**
 * The pi of the argument reduction: the host reduces with pi truncated to 66 significant
 * bits (SDM Vol. 1 8.3.10 "a 66-bit approximation of pi"; bits 67-69 of pi are zero, so AMD's
 * 68-bit value is the same number). Measured on the fixtures: this truncation matches where
 * the exact pi and a rounded 69/70-bit pi do not.
 */
const REDUCTION_PI_BITS = 66;

/** pi/2 as the reduction uses it, in fixed point at q. */
function reductionHalfPi(q: number): bigint {
  // pi has two integer bits.
  const drop = BigInt(q + 2 - REDUCTION_PI_BITS);
  return ((pi(q) >> drop) << drop) >> 1n;
}

/** x reduced by the nearest multiple k of pi/2: [r, k mod 4] in fixed point at p. */
function reduce(a: F80, p: number): [bigint, number] {
  const x = toFixed(a, p);
  const halfPi = reductionHalfPi(p + 80);
  const xx = x << 80n;
  let k = (xx + (halfPi >> 1n)) / halfPi;
  if (xx + (halfPi >> 1n) < 0n && (xx + (halfPi >> 1n)) % halfPi !== 0n) k -= 1n;
  const r = (xx - k * halfPi) >> 80n;
  return [r, Number(((k % 4n) + 4n) % 4n)];
}

/** sin and cos of a finite in-range operand, in fixed point at the returned precision. */
function sinCosFixed(a: F80): { s: bigint; c: bigint; p: number } {
  const p = precisionFor(a) + 64;
  const [r, q] = reduce(a, p);
  const [s, c] = sinCosP(r, p);
  switch (q) {
    case 0:
      return { s, c, p };
    case 1:
      return { s: c, c: -s, p };
    case 2:
      return { s: -s, c: -c, p };
    default:
      return { s: -c, c: s, p };
  }
}

/** Special operands of FSIN/FCOS/FSINCOS/FPTAN: NaNs propagate, infinities are invalid. */
function trigSpecial(a: F80, env: FpEnv): Result | undefined {
  const early = checkOne(a, env);
  if (early !== undefined) return early;
  if (kind(a) === Kind.Inf) return env.raise(Sw.IE) ? null : INDEFINITE;
  return undefined;
}

export function fsin(a: F80, env: FpEnv): Result {
  const sp = trigSpecial(a, env);
  if (sp !== undefined) return sp;
  if (kind(a) === Kind.Zero) return a;
  if (isTiny(a)) return nudged(a, -1, env);
  return hostSin(a, env);
}

export function fcos(a: F80, env: FpEnv): Result {
  const sp = trigSpecial(a, env);
  if (sp !== undefined) return sp;
  if (kind(a) === Kind.Zero) return { sign: 0, exp: EXP_BIAS, mant: 1n << 63n };
  if (isTiny(a)) return nudged({ sign: 0, exp: EXP_BIAS, mant: 1n << 63n }, -1, env);
  return hostCos(a, env);
}

/** Operands below 2^UNREDUCED_TAN_EXP (1/2 < pi/4) are their own reduced argument. */
const UNREDUCED_TAN_EXP = -1;

export function ftan(a: F80, env: FpEnv): Result {
  const sp = trigSpecial(a, env);
  if (sp !== undefined) return sp;
  if (kind(a) === Kind.Zero) return a;
  const f = finite(a);
  if (f.scale + bitLength(f.sig) - 1 < SMALL_TAN_EXP) {
    const dir = smallTanDirection(f.sig, f.scale);
    const r = nudged(a, dir, env);
    // RN68(x × K) / K is x itself (dir 0): the host still reports PE, and UE for a denormal.
    if (dir === 0) env.flags |= Sw.PE | (a.exp === 0 && env.masked(Sw.UE) ? Sw.UE : 0);
    return r;
  }
  // Below 1/2 (< pi/4) as it is, above reduced to r = |x| - k pi/2 (the host's pi, exact): for
  // |r| from 2^-33 up, the host's ratio S / C of two 68-bit values for |r|
  // (core/fpu/tan-rational.ts), rounded once; tan(k pi/2 + r) is tan r for even k and -C / S
  // for odd k.
  const [r, q] =
    f.scale + bitLength(f.sig) - 1 < UNREDUCED_TAN_EXP
      ? [{ m: f.sig, e: f.scale }, 0]
      : reduceHalfPi(f.sig, f.scale);
  const rSig = r.m < 0n ? -r.m : r.m;
  const re = r.e + bitLength(rSig) - 1;
  if (re >= SMALL_TAN_EXP) {
    const t = rationalTan(rSig, r.e);
    const odd = (q & 1) === 1;
    const [num, den, exp] = odd ? [t.den, t.num, -t.exp] : [t.num, t.den, t.exp];
    const sign = a.sign ^ (r.m < 0n ? 1 : 0) ^ (odd ? 1 : 0);
    return roundQuotient(sign, num, den, exp, env);
  }
  const { s, c, p } = sinCosFixed(a);
  return fromFixed(divP(s, c, p), p, env);
}

/** FPATAN: atan2(y, x) with y = ST(1), x = ST(0) (SDM Vol. 2A FPATAN Table 3-29). */
export function fpatan(y: F80, x: F80, env: FpEnv): Result {
  const early = checkTwo(y, x, env);
  if (early !== undefined) return early;
  const ky = kind(y);
  const kx = kind(x);
  const p0 = WORK_BITS + 64;
  const piR = (num: bigint, den: bigint, p: number): bigint => (pi(p) * num) / den;
  let v: bigint;
  let p = p0;
  if (ky === Kind.Zero || ky === Kind.Inf || kx === Kind.Zero || kx === Kind.Inf) {
    if (ky === Kind.Zero) {
      if (x.sign === 0) return withSign({ sign: 0, exp: 0, mant: 0n }, y.sign);
      v = pi(p);
    } else if (ky === Kind.Inf) v = kx === Kind.Inf ? piR(x.sign ? 3n : 1n, 4n, p) : piR(1n, 2n, p);
    else if (kx === Kind.Zero) v = piR(1n, 2n, p);
    else if (x.sign === 0) return withSign({ sign: 0, exp: 0, mant: 0n }, y.sign);
    else v = pi(p);
    return fromFixed(y.sign ? -v : v, p, env);
  }
  const fy = finite(y);
  const fx = finite(x);
  const ey = fy.scale + bitLength(fy.sig);
  const ex = fx.scale + bitLength(fx.sig);
  p = p0 + Math.max(0, ex - ey);
  const yy = fy.sig << BigInt(Math.max(0, fy.scale - fx.scale));
  const xx = fx.sig << BigInt(Math.max(0, fx.scale - fy.scale));
  const smallOverLarge = yy <= xx;
  // atan2(y, x) = base ± atan(w), w the smaller magnitude over the larger: base 0, pi/2 or pi
  // (in units of pi/2), with the host's pi (core/fpu/atan-small.ts).
  const quarter = smallOverLarge ? (x.sign ? 2 : 0) : 1;
  const minus = smallOverLarge ? x.sign === 1 : x.sign === 0;
  const small = smallOverLarge ? smallAtan(fy, fx) : smallAtan(fx, fy);
  if (small !== undefined) {
    // A small ratio: the host's atan(w) lies just below small (core/fpu/atan-small.ts).
    if (quarter === 0) return roundExtended(y.sign, (small.sig << 1n) - 1n, small.scale - 1, env);
    const q = Math.max(p, -small.scale);
    const base = hostHalfPi(q) * BigInt(quarter);
    const w = small.sig << BigInt(q + small.scale);
    const t = minus ? base - w : base + w;
    return fromFixed(y.sign ? -t : t, q, env, false, !minus);
  }
  const ratio = smallOverLarge ? divP(yy, xx, p) : divP(xx, yy, p);
  let t = atanP(ratio, p);
  // atan(z) < z: when the series adds nothing at this precision to an exactly divided z, the
  // result lies just below z, not above as a truncated value would.
  const below = quarter === 0 && t === ratio && (yy << BigInt(p)) % xx === 0n;
  if (quarter !== 0) {
    const base = hostHalfPi(p) * BigInt(quarter);
    t = minus ? base - t : base + t;
  }
  return fromFixed(y.sign ? -t : t, p, env, false, below);
}

/** F2XM1: 2^x - 1, defined for -1 <= x <= +1 (SDM Vol. 2A F2XM1). */
export function f2xm1(a: F80, env: FpEnv): Result {
  const early = checkOne(a, env);
  if (early !== undefined) return early;
  const k = kind(a);
  if (k === Kind.Zero) return a;
  if (k === Kind.Inf) return a.sign ? { sign: 1, exp: EXP_BIAS, mant: 1n << 63n } : a;
  if (a.exp >= EXP_BIAS && k === Kind.Normal) {
    // |x| >= 1. The host reports PE for x = -1 although -1/2 is exact, and computes 2^1 - 1
    // a little below 1 (rounded up to 1 to nearest, to 1 - 2^-64 down or toward zero).
    env.flags |= Sw.PE;
    if (a.exp === EXP_BIAS && a.mant === J_BIT) {
      if (!a.sign) return nudged(a, -1, env);
      env.roundedUp = false;
      return { sign: 1, exp: EXP_BIAS - 1, mant: J_BIT };
    }
    // Beyond the documented range the result is undefined (SDM Vol. 2A F2XM1); the host leaves x.
    env.roundedUp = false;
    return a;
  }
  // Below 1 the host evaluates one rational approximation over the whole range (f2xm1-host.ts).
  const fx = finite(a);
  return hostF2xm1(a.sign, fx.sig, fx.scale, env);
}

/** FYL2X: ST(1) × log2(ST(0)) (SDM Vol. 2B FYL2X Table 3-55). */
export function fyl2x(x: F80, y: F80, env: FpEnv): Result {
  const early = checkTwo(x, y, env, false);
  if (early !== undefined) return early;
  const kx = kind(x);
  const ky = kind(y);
  const invalid = (): Result => (env.raise(Sw.IE) ? null : INDEFINITE);
  // A negative x is invalid before any operand is a denormal (no DE; as the host does).
  if (x.sign === 1 && kx !== Kind.Zero) return invalid();
  // A zero x decides before a denormal y is looked at: ZE (or IE) and never DE (as the host does).
  if (kx === Kind.Zero) {
    if (ky === Kind.Zero) return invalid();
    if (ky === Kind.Inf) return withSign(INF, y.sign ^ 1);
    return env.raise(Sw.ZE) ? null : withSign(INF, y.sign ^ 1);
  }
  if ((kx === Kind.Denormal || ky === Kind.Denormal) && env.raise(Sw.DE)) return null;
  if (kx === Kind.Inf) return ky === Kind.Zero ? invalid() : withSign(INF, y.sign);
  const isOne = x.exp === EXP_BIAS && x.mant === 1n << 63n;
  if (ky === Kind.Inf) {
    if (isOne) return invalid();
    return withSign(INF, y.sign ^ (x.exp < EXP_BIAS ? 1 : 0));
  }
  const fx = finite(x);
  const r = timesHostLog(y, hostLog2(fx.sig, fx.scale), env);
  // The host reports PE even when x is a power of two and the product is exact.
  if (kind(r) !== Kind.Zero) env.flags |= Sw.PE;
  return r;
}

/** FYL2XP1: ST(1) × log2(ST(0) + 1), defined for |x| < 1 - sqrt(2)/2 (SDM Vol. 2B FYL2XP1). */
export function fyl2xp1(x: F80, y: F80, env: FpEnv): Result {
  const early = checkTwo(x, y, env);
  if (early !== undefined) return early;
  const kx = kind(x);
  const ky = kind(y);
  if (kx === Kind.Zero) {
    if (ky === Kind.Inf) return env.raise(Sw.IE) ? null : INDEFINITE;
    return { sign: x.sign ^ y.sign, exp: 0, mant: 0n };
  }
  // log2(1 + inf) = inf: the host returns y × inf; -inf, and 0 × inf, are invalid.
  if (kx === Kind.Inf) return x.sign || ky === Kind.Zero ? (env.raise(Sw.IE) ? null : INDEFINITE) : withSign(INF, y.sign);
  if (ky === Kind.Inf) return withSign(INF, y.sign ^ x.sign);
  if (ky === Kind.Zero) return { sign: x.sign ^ y.sign, exp: 0, mant: 0n };
  const fx = finite(x);
  const l = hostLog2p1(x.sign === 1, fx.sig, fx.scale);
  // x <= -1, where log2(1 + x) does not exist: the result is undefined (SDM Vol. 2B
  // FYL2XP1); the host returns x itself with PE.
  if (l === undefined) {
    env.flags |= Sw.PE;
    env.roundedUp = false;
    return x;
  }
  // The host's log2(1 + x) (core/fpu/ylog-host.ts), inside and outside the documented range;
  // it reports PE even for an exact product (log2 of a power of two), as FYL2X does.
  env.flags |= Sw.PE;
  return timesHostLog(y, l, env);
}
