// Register-stack handling of the transcendental instructions (SDM Vol. 2A/2B FSIN, FCOS,
// FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X, FYL2XP1): operands, stack faults, C2 for an
// out-of-range trigonometric operand, C1 the round-up indication.
import type { Result } from './arith.ts';
import { type F80, isNaN80 } from './float80.ts';
import { fullPrecision, merge } from './misc.ts';
import type { FormInfo, Op } from './ops-arith.ts';
import { stackOverflowPush } from './ops-load.ts';
import type { FpEnv } from './round.ts';
import { stackUnderflow } from './state.ts';
import { Sw } from './status.ts';
import { f2xm1, fcos, fpatan, fsin, ftan, fyl2x, fyl2xp1, outOfTrigRange } from './transcend.ts';

const ONE: F80 = { sign: 0, exp: 0x3fff, mant: 1n << 63n };

/** ST(0) ← fn(ST(0)); `trig` instructions leave |x| >= 2^63 alone with C2 = 1. */
function onTop(fn: (a: F80, env: FpEnv) => Result, trig: boolean): (f: FormInfo) => Op {
  return () => (c) => {
    const fpu = c.fpu;
    const outer = fpu.env();
    const env = fullPrecision(outer);
    if (fpu.isEmpty(0)) {
      const v = stackUnderflow(env);
      merge(outer, env);
      if (v !== null) fpu.setSt(0, v);
      if (trig) fpu.setCc(0, Sw.C2);
      return fpu.commit(outer, false);
    }
    if (trig && outOfTrigRange(fpu.st(0))) {
      // C2 = 1 and the operand stays; the host clears C1 (SDM: undefined).
      fpu.setCc(Sw.C2, Sw.C1 | Sw.C2);
      return;
    }
    const r = fn(fpu.st(0), env);
    merge(outer, env);
    if (trig) fpu.setCc(0, Sw.C2);
    if (r !== null) fpu.setSt(0, r);
    // An unmasked exception that suppresses the result clears C1 (recorded on the host).
    fpu.commit(outer, r === null ? false : outer.roundedUp);
  };
}

/** FPTAN (push 1.0) and FSINCOS (push the cosine): ST(0) ← first, then push second. */
function twoResults(fn: (a: F80, env: FpEnv) => [Result, Result] | null): (f: FormInfo) => Op {
  return () => (c) => {
    const fpu = c.fpu;
    const outer = fpu.env();
    const env = fullPrecision(outer);
    if (fpu.isEmpty(0)) {
      const v = stackUnderflow(env);
      merge(outer, env);
      if (v !== null) {
        fpu.setSt(0, v);
        fpu.push(v);
      }
      fpu.setCc(0, Sw.C2);
      return fpu.commit(outer, false);
    }
    if (!fpu.isEmpty(7)) {
      fpu.setCc(0, Sw.C2);
      return stackOverflowPush(c, outer, true);
    }
    if (outOfTrigRange(fpu.st(0))) {
      fpu.setCc(Sw.C2, Sw.C1 | Sw.C2);
      return;
    }
    const r = fn(fpu.st(0), env);
    merge(outer, env);
    fpu.setCc(0, Sw.C2);
    if (r === null || r[0] === null || r[1] === null) return fpu.commit(outer, false);
    fpu.setSt(0, r[0]);
    fpu.push(r[1]);
    fpu.commit(outer, outer.roundedUp);
  };
}

/** FPATAN, FYL2X, FYL2XP1: ST(1) ← fn(ST(0), ST(1)), then pop. */
function onTwo(fn: (st0: F80, st1: F80, env: FpEnv) => Result): (f: FormInfo) => Op {
  return () => (c) => {
    const fpu = c.fpu;
    const outer = fpu.env();
    const env = fullPrecision(outer);
    let r: Result;
    if (fpu.isEmpty(0) || fpu.isEmpty(1)) r = stackUnderflow(env);
    else r = fn(fpu.st(0), fpu.st(1), env);
    merge(outer, env);
    if (r === null) return fpu.commit(outer, false);
    fpu.setSt(1, r);
    fpu.pop();
    fpu.commit(outer, outer.flags & Sw.SF ? false : outer.roundedUp);
  };
}

/** FSINCOS: sine and cosine share the reduction; a NaN or invalid operand gives it twice. */
function sincos(a: F80, env: FpEnv): [Result, Result] | null {
  const s = fsin(a, env);
  if (s === null) return null;
  if (isNaN80(s)) return [s, s];
  const upSin = env.roundedUp;
  const cosEnv = fullPrecision(env);
  const co = fcos(a, cosEnv);
  env.flags |= cosEnv.flags;
  // C1 reports the rounding of the sine (recorded on the host).
  env.roundedUp = upSin;
  return [s, co];
}

function tan(a: F80, env: FpEnv): [Result, Result] | null {
  const t = ftan(a, env);
  if (t === null) return null;
  return [t, isNaN80(t) ? t : ONE];
}

export const TRANSCENDENTAL_OPS: Readonly<Record<string, (f: FormInfo) => Op>> = {
  fsin: onTop(fsin, true),
  fcos: onTop(fcos, true),
  f2xm1: onTop(f2xm1, false),
  fptan: twoResults(tan),
  fsincos: twoResults(sincos),
  fpatan: onTwo((x, y, env) => fpatan(y, x, env)),
  fyl2x: onTwo(fyl2x),
  fyl2xp1: onTwo(fyl2xp1),
};

