// x87 arithmetic on exact significands (SDM Vol. 2A FADD, FSUB, FMUL, FDIV, FSQRT pages and
// their special-case tables; Vol. 1 4.8.3.5 for NaN operands, 8.2.2 for unsupported
// encodings). Every function returns the result, or null when an unmasked invalid,
// denormal or divide-by-zero exception stops the instruction before it produces one.
import { bitLength, type F80, finite, INDEFINITE, INF, Kind, kind, QUIET_BIT, withSign } from './float80.ts';
import { type FpEnv, roundExtended } from './round.ts';
import { Rc, Sw } from './status.ts';

export type Result = F80 | null;

export const quiet = (a: F80): F80 => ({ sign: a.sign, exp: a.exp, mant: a.mant | QUIET_BIT });

/**
 * The NaN result of two operands (SDM Vol. 1 Table 4-7, x87 column): a QNaN beats an SNaN;
 * of two NaNs of the same kind the larger significand wins. Both are returned quiet.
 */
export function propagateNaN(a: F80, b: F80): F80 {
  const ka = kind(a);
  const kb = kind(b);
  const aNaN = ka === Kind.QNaN || ka === Kind.SNaN;
  const bNaN = kb === Kind.QNaN || kb === Kind.SNaN;
  if (!bNaN) return quiet(a);
  if (!aNaN) return quiet(b);
  if (ka !== kb) return ka === Kind.QNaN ? a : quiet(b);
  const ma = a.mant | QUIET_BIT;
  const mb = b.mant | QUIET_BIT;
  if (ma !== mb) return ma > mb ? quiet(a) : quiet(b);
  return a.sign === 0 ? quiet(a) : quiet(b);
}

/**
 * The checks every two-operand arithmetic instruction makes before computing: unsupported
 * encodings and SNaNs are invalid, a QNaN propagates, a denormal raises DE. Returns the
 * final result (or null) when one applies, undefined when the operation goes on.
 */
export function checkTwo(a: F80, b: F80, env: FpEnv, denormalCounts = true): Result | undefined {
  const ka = kind(a);
  const kb = kind(b);
  if (ka === Kind.Unsupported || kb === Kind.Unsupported) return env.raise(Sw.IE) ? null : INDEFINITE;
  if (ka === Kind.SNaN || kb === Kind.SNaN || ka === Kind.QNaN || kb === Kind.QNaN) {
    if ((ka === Kind.SNaN || kb === Kind.SNaN) && env.raise(Sw.IE)) return null;
    return propagateNaN(a, b);
  }
  if (denormalCounts && (ka === Kind.Denormal || kb === Kind.Denormal) && env.raise(Sw.DE)) return null;
  return undefined;
}

/** The one-operand form of checkTwo. */
export function checkOne(a: F80, env: FpEnv): Result | undefined {
  const k = kind(a);
  if (k === Kind.Unsupported) return env.raise(Sw.IE) ? null : INDEFINITE;
  if (k === Kind.SNaN) return env.raise(Sw.IE) ? null : quiet(a);
  if (k === Kind.QNaN) return a;
  if (k === Kind.Denormal && env.raise(Sw.DE)) return null;
  return undefined;
}

const invalid = (env: FpEnv): Result => (env.raise(Sw.IE) ? null : INDEFINITE);

/** Exponent distance beyond which the smaller addend only matters as a sticky bit. */
const STICKY_DISTANCE = 160;

/** The exact signed sum of two finite nonzero values, as sign, magnitude and scale. */
function exactSum(a: F80, b: F80): { sign: number; sig: bigint; scale: number } {
  let fa = finite(a);
  let fb = finite(b);
  const ea = fa.scale + bitLength(fa.sig);
  const eb = fb.scale + bitLength(fb.sig);
  if (ea - eb > STICKY_DISTANCE) fb = { sig: 1n, scale: ea - STICKY_DISTANCE - 1 };
  else if (eb - ea > STICKY_DISTANCE) fa = { sig: 1n, scale: eb - STICKY_DISTANCE - 1 };
  const scale = Math.min(fa.scale, fb.scale);
  const va = (a.sign ? -fa.sig : fa.sig) << BigInt(fa.scale - scale);
  const vb = (b.sign ? -fb.sig : fb.sig) << BigInt(fb.scale - scale);
  const s = va + vb;
  return { sign: s < 0n ? 1 : 0, sig: s < 0n ? -s : s, scale };
}

export function add(a: F80, b: F80, env: FpEnv): Result {
  const early = checkTwo(a, b, env);
  if (early !== undefined) return early;
  const ka = kind(a);
  const kb = kind(b);
  if (ka === Kind.Inf || kb === Kind.Inf) {
    if (ka === Kind.Inf && kb === Kind.Inf && a.sign !== b.sign) return invalid(env);
    return ka === Kind.Inf ? a : b;
  }
  const zeroSign = (): number => (env.rc === Rc.Down ? 1 : 0);
  if (ka === Kind.Zero && kb === Kind.Zero) return { sign: a.sign === b.sign ? a.sign : zeroSign(), exp: 0, mant: 0n };
  // x + 0 is x rounded to the precision control (SDM Vol. 1 8.1.5.2).
  const s = ka === Kind.Zero ? { sign: b.sign, ...finite(b) } : kb === Kind.Zero ? { sign: a.sign, ...finite(a) } : exactSum(a, b);
  if (s.sig === 0n) return { sign: zeroSign(), exp: 0, mant: 0n };
  return roundExtended(s.sign, s.sig, s.scale, env);
}

export const sub = (a: F80, b: F80, env: FpEnv): Result => {
  // a - b = a + (-b), except that NaN operands keep their own sign.
  const kb = kind(b);
  const nb = kb === Kind.QNaN || kb === Kind.SNaN || kb === Kind.Unsupported ? b : withSign(b, b.sign ^ 1);
  return add(a, nb, env);
};

export function mul(a: F80, b: F80, env: FpEnv): Result {
  const early = checkTwo(a, b, env);
  if (early !== undefined) return early;
  const ka = kind(a);
  const kb = kind(b);
  const sign = a.sign ^ b.sign;
  if (ka === Kind.Inf || kb === Kind.Inf) {
    if (ka === Kind.Zero || kb === Kind.Zero) return invalid(env);
    return withSign(INF, sign);
  }
  if (ka === Kind.Zero || kb === Kind.Zero) return { sign, exp: 0, mant: 0n };
  const fa = finite(a);
  const fb = finite(b);
  return roundExtended(sign, fa.sig * fb.sig, fa.scale + fb.scale, env);
}

/** Extra quotient bits beyond the 64 of the format: guard bits for every rounding position. */
const QUOTIENT_GUARD = 72;

export function div(a: F80, b: F80, env: FpEnv): Result {
  // A denormal divided by zero raises ZE alone (as the host does).
  const early = checkTwo(a, b, env, kind(b) !== Kind.Zero);
  if (early !== undefined) return early;
  const ka = kind(a);
  const kb = kind(b);
  const sign = a.sign ^ b.sign;
  if (ka === Kind.Inf) return kb === Kind.Inf ? invalid(env) : withSign(INF, sign);
  if (kb === Kind.Inf) return { sign, exp: 0, mant: 0n };
  if (kb === Kind.Zero) {
    if (ka === Kind.Zero) return invalid(env);
    return env.raise(Sw.ZE) ? null : withSign(INF, sign);
  }
  if (ka === Kind.Zero) return { sign, exp: 0, mant: 0n };
  const fa = finite(a);
  const fb = finite(b);
  const k = QUOTIENT_GUARD + Math.max(0, bitLength(fb.sig) - bitLength(fa.sig));
  const num = fa.sig << BigInt(k);
  const q = num / fb.sig;
  const sticky = num % fb.sig !== 0n ? 1n : 0n;
  return roundExtended(sign, (q << 1n) | sticky, fa.scale - fb.scale - k - 1, env);
}

/** floor(sqrt(v)) for v >= 0. */
export function isqrt(v: bigint): bigint {
  if (v < 2n) return v;
  let x = 1n << BigInt((bitLength(v) >> 1) + 1);
  for (;;) {
    const y = (x + v / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

export function sqrt(a: F80, env: FpEnv): Result {
  const k = kind(a);
  // A negative nonzero operand is invalid before it is a denormal (no DE; as the host does).
  if (a.sign === 1 && (k === Kind.Denormal || k === Kind.Normal || k === Kind.Inf)) return invalid(env);
  const early = checkOne(a, env);
  if (early !== undefined) return early;
  if (k === Kind.Zero) return a;
  if (k === Kind.Inf) return a;
  const f = finite(a);
  // Scale to an even exponent with at least 2 × (64 + guard) bits, then take the integer root.
  let shift = 2 * (64 + QUOTIENT_GUARD) - bitLength(f.sig);
  if ((f.scale - shift) % 2 !== 0) shift += 1;
  const v = f.sig << BigInt(shift);
  const r = isqrt(v);
  const sticky = r * r !== v ? 1n : 0n;
  return roundExtended(0, (r << 1n) | sticky, (f.scale - shift) / 2 - 1, env);
}

