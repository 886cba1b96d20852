// x87 arithmetic, comparison and conditional-move instructions (SDM Vol. 2A FADD ... FDIVR,
// FCOM/FUCOM/FCOMI/FTST/FXAM, FCMOVcc, FSQRT, FABS, FCHS, FRNDINT, FSCALE, FPREM, FXTRACT).
import { add, div, mul, type Result, sqrt, sub } from './arith.ts';
import { compare, conditionCodes, examine, Relation } from './compare.ts';
import { fromLe, type X87Context } from './context.ts';
import { fromInt, fromMemFloat, M32, M64 } from './convert.ts';
import { type F80, INDEFINITE, Kind, kind, ZERO } from './float80.ts';
import { fprem, fscale, frndint, fullPrecision, fxtract, merge } from './misc.ts';
import { FpEnv } from './round.ts';
import { stackOverflowPush } from './ops-load.ts';
import { stackUnderflow } from './state.ts';
import { Sw } from './status.ts';

export type Op = (c: X87Context) => void;
/** What an x87 form's semantics depend on, fixed at translation time. */
export interface FormInfo {
  readonly opcode: number;
  /** Memory form (mod != 11). */
  readonly mem: boolean;
  /** ModRM.reg (DF selects m16 or m64 integer forms by it). */
  readonly reg: number;
}

type Binary = (a: F80, b: F80, env: FpEnv) => Result;
const rsub: Binary = (a, b, env) => sub(b, a, env);
const rdiv: Binary = (a, b, env) => div(b, a, env);

/**
 * The memory source of D8/DA/DC/DE arithmetic: m32real, m32int, m64real or m16int. Loading a
 * real operand may raise IE (SNaN) or DE (denormal); null when that stops the instruction.
 */
function memSource(c: X87Context, opcode: number, env: FpEnv): F80 | null {
  const mem = c.mem!;
  switch (opcode) {
    case 0xd8:
      return fromMemFloat(fromLe(mem.read(0, 4)), M32, env, true);
    case 0xdc:
      return fromMemFloat(fromLe(mem.read(0, 8)), M64, env, true);
    case 0xda:
      return fromInt(BigInt.asIntN(32, fromLe(mem.read(0, 4))));
    default:
      return fromInt(BigInt.asIntN(16, fromLe(mem.read(0, 2))));
  }
}

/**
 * Two-operand arithmetic. D8 and memory forms: ST(0) ← ST(0) op src. DC: ST(i) ← ST(i) op
 * ST(0). DE (the P forms): the same and pop. C1 is the round-up indication, 0 on stack
 * underflow (SDM Vol. 2A FADD "FPU Flags Affected").
 */
function arithmetic(fn: Binary): (f: FormInfo) => Op {
  return (f) => (c) => {
    const fpu = c.fpu;
    const env = fpu.env();
    const toSti = !f.mem && (f.opcode === 0xdc || f.opcode === 0xde);
    const pop = !f.mem && f.opcode === 0xde;
    const dst = toSti ? c.i : 0;
    let src: F80 | null;
    let result: Result;
    if (f.mem) {
      // A denormal m32/m64 operand raises DE only after the checks for invalid and NaN
      // operands, as checkTwo orders them for registers (the host reports no DE then).
      const load = new FpEnv(env.masks, env.rc, env.p);
      src = memSource(c, f.opcode, load);
      const k0 = kind(fpu.st(0));
      // ... and a denormal divided by zero raises ZE alone (div()).
      const quietFirst = k0 === Kind.Unsupported || k0 === Kind.SNaN || k0 === Kind.QNaN || (fn === rdiv && k0 === Kind.Zero);
      if (fpu.isEmpty(0)) result = stackUnderflow(env);
      else if (load.flags & Sw.DE && !quietFirst && env.raise(Sw.DE)) result = null;
      else result = fn(fpu.st(0), src!, env);
    } else if (fpu.isEmpty(0) || fpu.isEmpty(c.i)) result = stackUnderflow(env);
    else result = toSti ? fn(fpu.st(c.i), fpu.st(0), env) : fn(fpu.st(0), fpu.st(c.i), env);
    // An unmasked exception leaves the destination alone and clears C1 (as the host does).
    if (result === null) return fpu.commit(env, false);
    fpu.setSt(dst, result);
    if (pop) fpu.pop();
    fpu.commit(env, env.flags & Sw.SF ? false : env.roundedUp);
  };
}

const fadd = arithmetic(add);
const fmul = arithmetic(mul);
const fsub = arithmetic(sub);
const fsubr = arithmetic(rsub);
const fdiv = arithmetic(div);
const fdivr = arithmetic(rdiv);

/** C3 C2 C0 after a comparison; C1 cleared. Unordered (all ones) on a stack underflow. */
function setCompareCodes(c: X87Context, r: Relation): void {
  c.fpu.setCc(conditionCodes(r));
}

/** FCOM, FCOMP, FCOMPP, FUCOM, FUCOMP, FUCOMPP, FICOM, FICOMP, FTST: compare ST(0) with a source and pop `pops` times. */
function comparison(ordered: boolean, pops: number, source: 'operand' | 'st1' | 'zero'): (f: FormInfo) => Op {
  return (f) => (c) => {
    const fpu = c.fpu;
    const env = fpu.env();
    let src: F80 | null = null;
    if (source === 'zero') src = ZERO;
    else if (f.mem) {
      const load = new FpEnv(env.masks, env.rc, env.p);
      src = memSource(c, f.opcode, load);
      const k0 = kind(fpu.st(0));
      if (load.flags & Sw.DE && !fpu.isEmpty(0) && k0 !== Kind.Unsupported && k0 !== Kind.SNaN && k0 !== Kind.QNaN) env.flags |= Sw.DE;
    }
    const i = source === 'st1' ? 1 : c.i;
    let r: Relation;
    if (fpu.isEmpty(0) || (src === null && fpu.isEmpty(i))) {
      stackUnderflow(env);
      r = Relation.Unordered;
    } else r = compare(fpu.st(0), src ?? fpu.st(i), ordered, env);
    setCompareCodes(c, r);
    // An unmasked exception still reports the relation ("unordered" when invalid) but does not pop (as the host does).
    if (!unmaskedStop(env)) for (let k = 0; k < pops; k++) fpu.pop();
    fpu.commit(env, false);
  };
}

/** An unmasked invalid-operation or denormal exception, which suppresses a pop. */
const unmaskedStop = (env: FpEnv): boolean => (env.flags & ~env.masks & (Sw.IE | Sw.DE)) !== 0;

/** FCOMI/FCOMIP/FUCOMI/FUCOMIP: ZF, PF, CF from the comparison; OF, SF, AF cleared (SDM Vol. 2A FCOMI). */
function compareToEflags(ordered: boolean, pop: boolean): (f: FormInfo) => Op {
  const ZF = 0x40;
  const PF = 0x04;
  const CF = 0x01;
  const STATUS = 0x8d5;
  const bits = [0, CF, ZF, ZF | PF | CF];
  return () => (c) => {
    const fpu = c.fpu;
    const env = fpu.env();
    let r: Relation;
    if (fpu.isEmpty(0) || fpu.isEmpty(c.i)) {
      stackUnderflow(env);
      r = Relation.Unordered;
    } else r = compare(fpu.st(0), fpu.st(c.i), ordered, env);
    c.setEflags((c.eflags() & ~STATUS) | bits[r]);
    if (pop && !unmaskedStop(env)) fpu.pop();
    // C1 is left alone except on a stack underflow (as the host does; the SDM says "set to 0").
    fpu.commit(env, env.flags & Sw.SF ? false : undefined);
  };
}

/** FCMOVcc: ST(0) ← ST(i) when the EFLAGS condition holds (SDM Vol. 2A FCMOVcc). */
function conditionalMove(cond: (eflags: number) => boolean): (f: FormInfo) => Op {
  return () => (c) => {
    const fpu = c.fpu;
    const env = fpu.env();
    if (fpu.isEmpty(0) || fpu.isEmpty(c.i)) {
      const v = stackUnderflow(env);
      if (v !== null) fpu.setSt(0, v);
      return fpu.commit(env, false);
    }
    if (cond(c.eflags())) fpu.setSt(0, fpu.st(c.i));
  };
}
const CF = (e: number): boolean => (e & 1) !== 0;
const ZF = (e: number): boolean => (e & 0x40) !== 0;
const PF = (e: number): boolean => (e & 4) !== 0;

/** An operation on ST(0) alone: FSQRT, FRNDINT, FABS, FCHS. C1 = round-up, 0 on underflow. */
function unary(fn: (a: F80, env: FpEnv) => Result, fullPrec: boolean): (f: FormInfo) => Op {
  return () => (c) => {
    const fpu = c.fpu;
    const outer = fpu.env();
    const env = fullPrec ? fullPrecision(outer) : outer;
    const r = fpu.isEmpty(0) ? stackUnderflow(env) : fn(fpu.st(0), env);
    if (env !== outer) merge(outer, env);
    if (r !== null) fpu.setSt(0, r);
    fpu.commit(outer, outer.flags & Sw.SF || r === null ? false : outer.roundedUp);
  };
}

/** FTST compares with +0.0; FXAM classifies ST(0), C1 its sign (SDM Vol. 2A FXAM). */
const fxam = (): Op => (c) => {
  const fpu = c.fpu;
  fpu.setCc(examine(fpu.isEmpty(0) ? null : fpu.st(0)) | (fpu.st(0).sign ? Sw.C1 : 0));
};

/** FSCALE and FPREM/FPREM1 work on ST(0) and ST(1) and write ST(0). */
const fscaleOp = (): Op => (c) => {
  const fpu = c.fpu;
  const outer = fpu.env();
  const env = fullPrecision(outer);
  const r = fpu.isEmpty(0) || fpu.isEmpty(1) ? stackUnderflow(env) : fscale(fpu.st(0), fpu.st(1), env);
  merge(outer, env);
  if (r !== null) fpu.setSt(0, r);
  fpu.commit(outer, outer.flags & Sw.SF || r === null ? false : outer.roundedUp);
};

function fpremOp(ieee: boolean): (f: FormInfo) => Op {
  return () => (c) => {
    const fpu = c.fpu;
    const outer = fpu.env();
    const env = fullPrecision(outer);
    // Without a remainder to report (stack fault, NaN, invalid operand) C2 and C1 are cleared and C0, C3 kept (as the host does).
    const noQuotient = (): void => fpu.setCc(0, Sw.C1 | Sw.C2);
    if (fpu.isEmpty(0) || fpu.isEmpty(1)) {
      const v = stackUnderflow(env);
      merge(outer, env);
      if (v !== null) fpu.setSt(0, v);
      noQuotient();
      return fpu.commit(outer);
    }
    const r = fprem(fpu.st(0), fpu.st(1), ieee, env);
    merge(outer, env);
    if (r === null) {
      noQuotient();
      return fpu.commit(outer);
    }
    fpu.setSt(0, r.value);
    if (r.cc < 0) noQuotient();
    else fpu.setCc(r.cc);
    fpu.commit(outer);
  };
}

/** FXTRACT: ST(0) ← exponent, then push the significand (SDM Vol. 2B FXTRACT). */
const fxtractOp = (): Op => (c) => {
  const fpu = c.fpu;
  const env = fpu.env();
  if (fpu.isEmpty(0)) {
    if (stackUnderflow(env) !== null) {
      fpu.setSt(0, INDEFINITE);
      fpu.push(INDEFINITE);
    }
    return fpu.commit(env, false);
  }
  if (!fpu.isEmpty(7)) return stackOverflowPush(c, env, true);
  const r = fxtract(fpu.st(0), env);
  if (r !== null) {
    fpu.setSt(0, r[0]);
    fpu.push(r[1]);
  }
  fpu.commit(env, false);
};

export const ARITH_OPS: Readonly<Record<string, (f: FormInfo) => Op>> = {
  fadd,
  faddp: fadd,
  fiadd: fadd,
  fmul,
  fmulp: fmul,
  fimul: fmul,
  // Register forms of DC/DE: "FSUB ST(i), ST(0)" is DC E8+i (reg 5) and computes ST(i) - ST(0).
  fsub,
  fsubp: fsub,
  fisub: fsub,
  fsubr,
  fsubrp: fsubr,
  fisubr: fsubr,
  fdiv,
  fdivp: fdiv,
  fidiv: fdiv,
  fdivr,
  fdivrp: fdivr,
  fidivr: fdivr,
  fcom: comparison(true, 0, 'operand'),
  fcomp: comparison(true, 1, 'operand'),
  fcompp: comparison(true, 2, 'st1'),
  ficom: comparison(true, 0, 'operand'),
  ficomp: comparison(true, 1, 'operand'),
  fucom: comparison(false, 0, 'operand'),
  fucomp: comparison(false, 1, 'operand'),
  fucompp: comparison(false, 2, 'st1'),
  ftst: comparison(true, 0, 'zero'),
  fxam,
  fcomi: compareToEflags(true, false),
  fcomip: compareToEflags(true, true),
  fucomi: compareToEflags(false, false),
  fucomip: compareToEflags(false, true),
  fcmovb: conditionalMove(CF),
  fcmove: conditionalMove(ZF),
  fcmovbe: conditionalMove((e) => CF(e) || ZF(e)),
  fcmovu: conditionalMove(PF),
  fcmovnb: conditionalMove((e) => !CF(e)),
  fcmovne: conditionalMove((e) => !ZF(e)),
  fcmovnbe: conditionalMove((e) => !CF(e) && !ZF(e)),
  fcmovnu: conditionalMove((e) => !PF(e)),
  fsqrt: unary(sqrt, false),
  frndint: unary(frndint, true),
  fabs: unary((a) => ({ sign: 0, exp: a.exp, mant: a.mant }), true),
  fchs: unary((a) => ({ sign: a.sign ^ 1, exp: a.exp, mant: a.mant }), true),
  fscale: fscaleOp,
  fprem: fpremOp(false),
  fprem1: fpremOp(true),
  fxtract: fxtractOp,
};
