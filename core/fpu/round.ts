// Rounding of an exact (or sticky-jammed) value to a binary format, with the x87 rules for
// precision control, overflow and underflow (SDM Vol. 1 4.8.4, 4.9.1.4, 4.9.1.5, 8.1.5.2).
import { bitLength, EXP_BIAS, EXP_MAX, type F80, J_BIT } from './float80.ts';
import { Rc, Sw } from './status.ts';

/** A binary format: significand bits (with the integer bit) and the normal exponent range. */
export interface Format {
  readonly p: number;
  readonly emin: number;
  readonly emax: number;
}

export const EXTENDED: Format = { p: 64, emin: 1 - EXP_BIAS, emax: EXP_BIAS };
export const DOUBLE: Format = { p: 53, emin: -1022, emax: 1023 };
export const SINGLE: Format = { p: 24, emin: -126, emax: 127 };

/** The extended exponent range with a precision-control significand width (SDM Vol. 1 8.1.5.2). */
export const extendedWith = (p: number): Format => (p === 64 ? EXTENDED : { p, emin: EXTENDED.emin, emax: EXTENDED.emax });

/** Exponent bias adjustment for unmasked overflow and underflow on the register stack (SDM Vol. 1 4.9.1.4, Table 4-9). */
export const BIAS_ADJUST = 24576;

/** The exception state of one operation: flags raised, C1 (rounded up), masks and modes. */
export class FpEnv {
  flags = 0;
  /** The result was rounded up in magnitude (C1; SDM Vol. 1 8.1.3.1). */
  roundedUp = false;
  constructor(
    /** Control-word exception masks (bits 5:0). */
    readonly masks: number,
    readonly rc: Rc,
    /** Significand bits of register results (precision control). */
    readonly p: number,
  ) {}
  masked(flag: number): boolean {
    return (this.masks & flag) !== 0;
  }
  /** An exception that stops the instruction before it produces a result (IE, DE, ZE unmasked). */
  raise(flag: number): boolean {
    this.flags |= flag;
    return !this.masked(flag);
  }
}

/** A rounded finite result: q × 2^lsbExp, or an overflow/underflow handled by the caller's format. */
export interface Rounded {
  sign: number;
  q: bigint;
  lsbExp: number;
  /** Unmasked overflow (+1) or underflow (-1): the value is correct with an unbounded exponent. */
  wrapped: number;
  /** Masked overflow to infinity: q is 0 and the caller packs an infinity. */
  inf: boolean;
}

function incrementFor(rc: Rc, sign: number, q: bigint, rem: bigint, half: bigint): boolean {
  if (rem === 0n) return false;
  switch (rc) {
    case Rc.Nearest:
      return rem > half || (rem === half && (q & 1n) === 1n);
    case Rc.Down:
      return sign === 1;
    case Rc.Up:
      return sign === 0;
    default:
      return false;
  }
}

/** Rounds sig × 2^lsbExp ... at bit `k` (drop k bits). */
function roundAt(sig: bigint, k: number, sign: number, rc: Rc): { q: bigint; inexact: boolean; up: boolean } {
  if (k <= 0) return { q: sig << BigInt(-k), inexact: false, up: false };
  const kk = BigInt(k);
  let q = sig >> kk;
  const rem = sig & ((1n << kk) - 1n);
  const up = incrementFor(rc, sign, q, rem, 1n << (kk - 1n));
  if (up) q += 1n;
  return { q, inexact: rem !== 0n, up };
}

/**
 * Rounds sign × sig × 2^scale (sig > 0; the low bit may be a sticky bit as long as it lies
 * below every rounding position) to `fmt`. Tininess is detected after rounding, as the x87
 * unit does (SDM Vol. 1 4.9.1.5: "the result ... would be smaller than the smallest normal
 * number"; checked against the host). Sets PE, UE, OE and `roundedUp` in `env`.
 */
export function roundToFormat(sign: number, sig: bigint, scale: number, fmt: Format, env: FpEnv): Rounded {
  const n = bitLength(sig);
  const e = scale + n - 1;
  // Unbounded-exponent rounding: decides tininess after rounding and the wrapped result.
  const lsbUnbounded = e - (fmt.p - 1);
  const ru = roundAt(sig, lsbUnbounded - scale, sign, env.rc);
  let q = ru.q;
  let lsb = lsbUnbounded;
  if (bitLength(q) > fmt.p) {
    q >>= 1n;
    lsb += 1;
  }
  const eRounded = lsb + fmt.p - 1;
  if (eRounded > fmt.emax) {
    env.flags |= Sw.OE;
    if (!env.masked(Sw.OE) && eRounded - BIAS_ADJUST > fmt.emax) {
      // Beyond the reach of the bias adjustment (FSCALE): infinity whatever the rounding (as the host does).
      env.flags |= Sw.PE;
      env.roundedUp = true;
      return { sign, q: 0n, lsbExp: 0, wrapped: 0, inf: true };
    }
    if (!env.masked(Sw.OE)) {
      if (ru.inexact) env.flags |= Sw.PE;
      env.roundedUp = ru.up;
      return { sign, q, lsbExp: lsb, wrapped: 1, inf: false };
    }
    env.flags |= Sw.PE;
    const toInf = env.rc === Rc.Nearest || (env.rc === Rc.Up && sign === 0) || (env.rc === Rc.Down && sign === 1);
    env.roundedUp = toInf;
    if (toInf) return { sign, q: 0n, lsbExp: 0, wrapped: 0, inf: true };
    return { sign, q: (1n << BigInt(fmt.p)) - 1n, lsbExp: fmt.emax - (fmt.p - 1), wrapped: 0, inf: false };
  }
  const tiny = eRounded < fmt.emin;
  if (tiny && !env.masked(Sw.UE) && eRounded + BIAS_ADJUST < fmt.emin) {
    // Beyond the reach of the bias adjustment: zero whatever the rounding (as the host does).
    env.flags |= Sw.UE | Sw.PE;
    env.roundedUp = false;
    return { sign, q: 0n, lsbExp: 0, wrapped: 0, inf: false };
  }
  if (tiny && !env.masked(Sw.UE)) {
    env.flags |= Sw.UE;
    if (ru.inexact) env.flags |= Sw.PE;
    env.roundedUp = ru.up;
    return { sign, q, lsbExp: lsb, wrapped: -1, inf: false };
  }
  if (e >= fmt.emin) {
    if (ru.inexact) env.flags |= Sw.PE;
    env.roundedUp = ru.up;
    return { sign, q, lsbExp: lsb, wrapped: 0, inf: false };
  }
  // Denormal result: the significand's last bit stays at the minimum exponent's position.
  const lsbDen = fmt.emin - (fmt.p - 1);
  const rd = roundAt(sig, lsbDen - scale, sign, env.rc);
  if (rd.inexact) env.flags |= Sw.PE | (tiny ? Sw.UE : 0);
  env.roundedUp = rd.up;
  return { sign, q: rd.q, lsbExp: lsbDen, wrapped: 0, inf: false };
}

/** Packs a rounded value into the extended format of a register (with the bias adjustment when wrapped). */
export function packExtended(r: Rounded): F80 {
  if (r.inf) return { sign: r.sign, exp: EXP_MAX, mant: J_BIT };
  if (r.q === 0n) return { sign: r.sign, exp: 0, mant: 0n };
  const n = bitLength(r.q);
  const e = r.lsbExp + n - 1;
  let biased = e + EXP_BIAS - r.wrapped * BIAS_ADJUST;
  if (r.wrapped === 0 && e < 1 - EXP_BIAS) {
    // Denormal: exponent field 0, significand aligned to the exponent 1 - bias.
    const shift = r.lsbExp - (1 - EXP_BIAS - 63);
    return { sign: r.sign, exp: 0, mant: r.q << BigInt(shift) };
  }
  biased &= EXP_MAX;
  return { sign: r.sign, exp: biased, mant: r.q << BigInt(64 - n) };
}

/** Rounds and packs a register result with precision control. */
export function roundExtended(sign: number, sig: bigint, scale: number, env: FpEnv): F80 {
  return packExtended(roundToFormat(sign, sig, scale, extendedWith(env.p), env));
}
