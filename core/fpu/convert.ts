// Conversions between the register format and memory formats: integers (FILD, FIST, FISTP,
// FISTTP), single and double precision (FLD, FST, FSTP m32/m64) and packed BCD (FBLD,
// FBSTP). SDM Vol. 2A/2B instruction pages; Vol. 1 4.2.2 (indefinites), 4.8.3.7 (integer
// indefinite), 4.7 (BCD indefinite).
import { quiet } from './arith.ts';
import { bitLength, EXP_BIAS, EXP_MAX, type F80, finite, J_BIT, Kind, kind, QUIET_BIT } from './float80.ts';
import { DOUBLE, type Format, type FpEnv, roundToFormat, SINGLE } from './round.ts';
import { Rc, Sw } from './status.ts';

/** An integer converts exactly (64 significand bits hold any int64; SDM Vol. 2A FILD). */
export function fromInt(v: bigint): F80 {
  if (v === 0n) return { sign: 0, exp: 0, mant: 0n };
  const sign = v < 0n ? 1 : 0;
  const m = sign ? -v : v;
  const n = bitLength(m);
  return { sign, exp: EXP_BIAS + n - 1, mant: m << BigInt(64 - n) };
}

/** A binary interchange format in memory: total bits and exponent-field width. */
interface MemFormat extends Format {
  readonly bits: number;
  readonly expBits: number;
}
export const M32: MemFormat = { ...SINGLE, bits: 32, expBits: 8 };
export const M64: MemFormat = { ...DOUBLE, bits: 64, expBits: 11 };

/**
 * FLD m32/m64: exact widening. A denormal sets DE and is normalized; an SNaN raises IE and
 * loads quiet; the NaN payload moves to the top of the significand (SDM Vol. 2A FLD).
 */
export function fromMemFloat(raw: bigint, fmt: MemFormat, env: FpEnv, arithmeticOperand = false): F80 | null {
  const fracBits = fmt.p - 1;
  const sign = Number(raw >> BigInt(fmt.bits - 1)) & 1;
  const expMax = (1 << fmt.expBits) - 1;
  const e = Number((raw >> BigInt(fracBits)) & BigInt(expMax));
  const frac = raw & ((1n << BigInt(fracBits)) - 1n);
  if (e === expMax) {
    const mant = J_BIT | (frac << BigInt(63 - fracBits));
    // An arithmetic operand stays signaling: the operation raises IE and picks the NaN (Table 4-7).
    if (arithmeticOperand) return { sign, exp: EXP_MAX, mant };
    if (frac !== 0n && (mant & QUIET_BIT) === 0n && env.raise(Sw.IE)) return null;
    return { sign, exp: EXP_MAX, mant: frac === 0n ? mant : mant | QUIET_BIT };
  }
  if (e === 0) {
    if (frac === 0n) return { sign, exp: 0, mant: 0n };
    // DE is reported but does not stop the load, even unmasked (as the host does).
    env.flags |= Sw.DE;
    const n = bitLength(frac);
    // value = frac × 2^(emin - fracBits)
    const exp = fmt.emin - fracBits + n - 1 + EXP_BIAS;
    return { sign, exp, mant: frac << BigInt(64 - n) };
  }
  const bias = (1 << (fmt.expBits - 1)) - 1;
  return { sign, exp: e - bias + EXP_BIAS, mant: J_BIT | (frac << BigInt(63 - fracBits)) };
}

/** The QNaN indefinite of a memory format (SDM Vol. 1 Table 4-3). */
function memIndefinite(fmt: MemFormat): bigint {
  return ((1n << BigInt(fmt.expBits + 2)) - 1n) << BigInt(fmt.p - 2);
}

/**
 * FST m32/m64: rounds to the memory format (rounding control applies, precision control
 * does not). Returns the bits to store, or null when an unmasked exception suppresses the
 * store (SDM Vol. 1 4.9.2: IE/DE before, OE/UE with a memory destination after).
 */
export function toMemFloat(a: F80, fmt: MemFormat, env: FpEnv): bigint | null {
  const fracBits = fmt.p - 1;
  const signBit = BigInt(a.sign) << BigInt(fmt.bits - 1);
  const expMax = (1n << BigInt(fmt.expBits)) - 1n;
  const k = kind(a);
  if (k === Kind.Unsupported) return env.raise(Sw.IE) ? null : memIndefinite(fmt);
  if (k === Kind.SNaN || k === Kind.QNaN) {
    if (k === Kind.SNaN && env.raise(Sw.IE)) return null;
    const frac = (quiet(a).mant & ~J_BIT) >> BigInt(63 - fracBits);
    return signBit | (expMax << BigInt(fracBits)) | frac;
  }
  if (k === Kind.Inf) return signBit | (expMax << BigInt(fracBits));
  if (k === Kind.Zero) return signBit;
  // A denormal source does not raise DE on a store (as the host does).
  const f = finite(a);
  const r = roundToFormat(a.sign, f.sig, f.scale, fmt, env);
  if (r.wrapped !== 0) {
    // Unmasked overflow or underflow with a memory destination: nothing is stored, so no PE (as the host does).
    env.flags &= ~Sw.PE;
    env.roundedUp = false;
    return null;
  }
  if (r.inf) return signBit | (expMax << BigInt(fracBits));
  if (r.q === 0n) return signBit;
  const n = bitLength(r.q);
  const e = r.lsbExp + n - 1;
  if (e < fmt.emin) return signBit | (r.q << BigInt(r.lsbExp - (fmt.emin - fracBits)));
  const bias = (1 << (fmt.expBits - 1)) - 1;
  const frac = (r.q << BigInt(fmt.p - n)) & ((1n << BigInt(fracBits)) - 1n);
  return signBit | (BigInt(e + bias) << BigInt(fracBits)) | frac;
}

/**
 * Rounds a finite value to an integer by `rc`. Returns the integer (sign applied), whether
 * it was inexact and whether its magnitude was rounded up.
 */
export function roundToInteger(a: F80, rc: Rc): { v: bigint; inexact: boolean; up: boolean } {
  if (kind(a) === Kind.Zero) return { v: 0n, inexact: false, up: false };
  const f = finite(a);
  if (f.scale >= 0) {
    const m = f.sig << BigInt(f.scale);
    return { v: a.sign ? -m : m, inexact: false, up: false };
  }
  const k = BigInt(-f.scale);
  let q = f.scale < -200 ? 0n : f.sig >> k;
  const rem = f.scale < -200 ? f.sig : f.sig & ((1n << k) - 1n);
  const half = f.scale < -200 ? f.sig + 1n : 1n << (k - 1n);
  let up = false;
  if (rem !== 0n) {
    if (rc === Rc.Nearest) up = rem > half || (rem === half && (q & 1n) === 1n);
    else if (rc === Rc.Down) up = a.sign === 1;
    else if (rc === Rc.Up) up = a.sign === 0;
  }
  if (up) q += 1n;
  return { v: a.sign ? -q : q, inexact: rem !== 0n, up };
}

/**
 * FIST/FISTP/FISTTP: the integer of `bits` bits to store, or null when an unmasked invalid
 * operation suppresses the store. Out of range, NaN, infinity and unsupported encodings are
 * invalid and store the integer indefinite (SDM Vol. 1 4.8.3.7).
 */
export function toInt(a: F80, bits: number, rc: Rc, env: FpEnv): bigint | null {
  const indefinite = 1n << BigInt(bits - 1);
  const k = kind(a);
  if (k === Kind.Unsupported || k === Kind.SNaN || k === Kind.QNaN || k === Kind.Inf) return env.raise(Sw.IE) ? null : indefinite;
  const r = roundToInteger(a, rc);
  if (r.v >= indefinite || r.v < -indefinite) return env.raise(Sw.IE) ? null : indefinite;
  if (r.inexact) env.flags |= Sw.PE;
  env.roundedUp = r.up;
  return BigInt.asUintN(bits, r.v);
}

/** FBLD: 18 packed BCD digits and a sign byte (SDM Vol. 1 4.7; invalid digits are undefined). */
export function fromBcd(bytes: ArrayLike<number>): F80 {
  let v = 0n;
  for (let i = 8; i >= 0; i--) v = v * 100n + BigInt((bytes[i] >> 4) * 10 + (bytes[i] & 15));
  const r = fromInt(v);
  return { sign: bytes[9] >> 7, exp: r.exp, mant: r.mant };
}

/** Largest magnitude FBSTP stores: 18 decimal digits. */
const BCD_LIMIT = 10n ** 18n;

/** FBSTP: 10 bytes of packed BCD, or null when an unmasked invalid operation suppresses the store. */
export function toBcd(a: F80, rc: Rc, env: FpEnv): number[] | null {
  const indefinite = [0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff];
  const k = kind(a);
  if (k === Kind.Unsupported || k === Kind.SNaN || k === Kind.QNaN || k === Kind.Inf) return env.raise(Sw.IE) ? null : indefinite;
  const r = roundToInteger(a, rc);
  let m = r.v < 0n ? -r.v : r.v;
  if (m >= BCD_LIMIT) return env.raise(Sw.IE) ? null : indefinite;
  if (r.inexact) env.flags |= Sw.PE;
  env.roundedUp = r.up;
  const out: number[] = [];
  for (let i = 0; i < 9; i++) {
    const lo = Number(m % 10n);
    m /= 10n;
    const hi = Number(m % 10n);
    m /= 10n;
    out.push((hi << 4) | lo);
  }
  out.push(a.sign ? 0x80 : 0);
  return out;
}
