// Loads, stores and register-stack housekeeping: FLD/FILD/FBLD/constants, FST/FSTP/FIST/
// FISTP/FISTTP/FBSTP, FXCH, FFREE, FFREEP, FINCSTP, FDECSTP, FNOP (SDM Vol. 2A/2B pages;
// stack faults Vol. 1 8.5.1.1).
import { CONSTANTS } from './constants.ts';
import { fromLe, leBytes, type X87Context } from './context.ts';
import { fromBcd, fromInt, fromMemFloat, M32, M64, toBcd, toInt, toMemFloat } from './convert.ts';
import { type F80, fromBytes, INDEFINITE, toBytes } from './float80.ts';
import type { FpEnv } from './round.ts';
import { stackUnderflow, TAG_EMPTY } from './state.ts';
import { Rc, Sw } from './status.ts';
import type { FormInfo, Op } from './ops-arith.ts';

/**
 * Stack overflow on a push (ST(7) in use): IE and SF with C1 = 1; masked, the indefinite
 * is pushed (SDM Vol. 1 8.5.1.1). `replaceTop` also replaces ST(0) first (FXTRACT, FPTAN, FSINCOS).
 */
export function stackOverflowPush(c: X87Context, env: FpEnv, replaceTop = false): void {
  env.flags |= Sw.IE | Sw.SF;
  if (env.masked(Sw.IE)) {
    if (replaceTop) c.fpu.setSt(0, INDEFINITE);
    c.fpu.push(INDEFINITE);
  }
  c.fpu.commit(env, true);
}

/** Pushes the value `load` returns (null: an unmasked exception stopped it); C1 cleared either way. */
function pushing(load: (c: X87Context, env: FpEnv) => F80 | null): Op {
  return (c) => {
    const fpu = c.fpu;
    const env = fpu.env();
    // The stack fault comes first: the source is not examined (no DE or IE from it).
    if (!fpu.isEmpty(7)) return stackOverflowPush(c, env);
    const v = load(c, env);
    if (v !== null) fpu.push(v);
    // C1 is cleared also when an unmasked IE (an SNaN source) suppresses the load (recorded on the host).
    fpu.commit(env, false);
  };
}

const fld = (f: FormInfo): Op => {
  if (!f.mem)
    return (c) => {
      // FLD ST(i): the source is read before the push; an empty source is a stack underflow.
      const fpu = c.fpu;
      const env = fpu.env();
      if (!fpu.isEmpty(7)) return stackOverflowPush(c, env);
      const v = fpu.isEmpty(c.i) ? stackUnderflow(env) : fpu.st(c.i);
      if (v !== null) fpu.push(v);
      fpu.commit(env, env.flags & Sw.SF ? false : v === null ? undefined : false);
    };
  if (f.opcode === 0xd9) return pushing((c, env) => fromMemFloat(fromLe(c.mem!.read(0, 4)), M32, env));
  if (f.opcode === 0xdd) return pushing((c, env) => fromMemFloat(fromLe(c.mem!.read(0, 8)), M64, env));
  return pushing((c) => fromBytes(c.mem!.read(0, 10)));
};

/** FILD: DB m32int, DF /0 m16int, DF /5 m64int; always exact. */
const fild = (f: FormInfo): Op => {
  const size = f.opcode === 0xdb ? 4 : f.reg === 5 ? 8 : 2;
  return pushing((c) => fromInt(BigInt.asIntN(size * 8, fromLe(c.mem!.read(0, size)))));
};

/**
 * A store to memory: `convert` gives the bytes (null: suppressed by an unmasked exception);
 * an empty ST(0) stores the format's indefinite when IE is masked. Pops when asked.
 */
function storing(convert: (a: F80, env: FpEnv) => number[] | null, indefinite: number[], pop: boolean): Op {
  return (c) => {
    const fpu = c.fpu;
    const env = fpu.env();
    let bytes: number[] | null;
    if (fpu.isEmpty(0)) bytes = stackUnderflow(env) === null ? null : indefinite;
    else bytes = convert(fpu.st(0), env);
    if (bytes === null) return fpu.commit(env, false);
    c.mem!.write(0, bytes);
    if (pop) fpu.pop();
    fpu.commit(env, env.flags & Sw.SF ? false : env.roundedUp);
  };
}

const floatBytes = (fmt: typeof M32, n: number) => (a: F80, env: FpEnv): number[] | null => {
  const v = toMemFloat(a, fmt, env);
  return v === null ? null : leBytes(v, n);
};
const intBytes = (n: number, truncate: boolean) => (a: F80, env: FpEnv): number[] | null => {
  const v = toInt(a, n * 8, truncate ? Rc.Zero : env.rc, env);
  return v === null ? null : leBytes(v, n);
};
const M32_INDEFINITE = leBytes(0xffc00000, 4);
const M64_INDEFINITE = leBytes(0xfff8000000000000n, 8);
const intIndefinite = (n: number): number[] => leBytes(1n << BigInt(n * 8 - 1), n);

/** The integer size of an FIST/FISTP/FISTTP form: DB m32, DD m64 (FISTTP), DF m16 or m64 (by reg). */
function intSize(f: FormInfo): number {
  if (f.opcode === 0xdb) return 4;
  if (f.opcode === 0xdd) return 8;
  return f.reg === 7 ? 8 : 2;
}

/** FST/FSTP to memory or to ST(i). */
function fstore(pop: boolean): (f: FormInfo) => Op {
  return (f) => {
    if (!f.mem)
      return (c) => {
        const fpu = c.fpu;
        const env = fpu.env();
        if (fpu.isEmpty(0)) {
          const v = stackUnderflow(env);
          if (v === null) return fpu.commit(env, false);
          fpu.setSt(c.i, v);
        } else fpu.setSt(c.i, fpu.st(0));
        if (pop) fpu.pop();
        fpu.commit(env, false);
      };
    if (f.opcode === 0xd9) return storing(floatBytes(M32, 4), M32_INDEFINITE, pop);
    if (f.opcode === 0xdd) return storing(floatBytes(M64, 8), M64_INDEFINITE, pop);
    return storing((a) => toBytes(a), toBytes(INDEFINITE), pop);
  };
}

/**
 * FSTP1, the FSTP ST(i) alias D9 D8+i: on an empty ST(0) it raises no stack fault and just
 * pops, leaving ST(i) empty (recorded on the host); otherwise it is FSTP. The DF D0+i and
 * DF D8+i aliases (FSTP8, FSTP9) behave as FSTP.
 */
const fstpAlias = (f: FormInfo): Op => {
  const plain = fstore(true)(f);
  return (c) => {
    const fpu = c.fpu;
    if (!fpu.isEmpty(0)) return plain(c);
    fpu.setTagPhys(fpu.phys(c.i), TAG_EMPTY);
    fpu.pop();
    fpu.setCc(0, Sw.C1);
  };
};

function fistore(pop: boolean, truncate: boolean): (f: FormInfo) => Op {
  return (f) => {
    const n = intSize(f);
    return storing(intBytes(n, truncate), intIndefinite(n), pop);
  };
}

const fbld = (): Op => pushing((c) => fromBcd(c.mem!.read(0, 10)));
const fbstp = (): Op => storing((a, env) => toBcd(a, env.rc, env), [0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff], true);

/** FXCH: swaps ST(0) and ST(i); an empty one becomes the indefinite when IE is masked. C1 = 0. */
const fxch = (): Op => (c) => {
  const fpu = c.fpu;
  const env = fpu.env();
  let a = fpu.isEmpty(0) ? null : fpu.st(0);
  let b = fpu.isEmpty(c.i) ? null : fpu.st(c.i);
  if (a === null || b === null) {
    if (stackUnderflow(env) === null) return fpu.commit(env, false);
    a ??= INDEFINITE;
    b ??= INDEFINITE;
  }
  fpu.setSt(0, b);
  fpu.setSt(c.i, a);
  fpu.commit(env, false);
};

const stackOps: Readonly<Record<string, (f: FormInfo) => Op>> = {
  // FFREE/FFREEP leave C0, C2, C3 undefined; the host clears C1.
  ffree: () => (c) => {
    c.fpu.setTagPhys(c.fpu.phys(c.i), TAG_EMPTY);
    c.fpu.setCc(0, Sw.C1);
  },
  ffreep: () => (c) => {
    c.fpu.setTagPhys(c.fpu.phys(c.i), TAG_EMPTY);
    c.fpu.pop();
    c.fpu.setCc(0, Sw.C1);
  },
  fincstp: () => (c) => {
    c.fpu.top = c.fpu.top + 1;
    c.fpu.setCc(0, Sw.C1);
  },
  fdecstp: () => (c) => {
    c.fpu.top = c.fpu.top - 1;
    c.fpu.setCc(0, Sw.C1);
  },
  fnop: () => () => undefined,
};

const constant = (name: string) => (): Op => pushing((c) => CONSTANTS[name](((c.fpu.cw >> 10) & 3) as Rc));

export const LOAD_OPS: Readonly<Record<string, (f: FormInfo) => Op>> = {
  fld,
  fild,
  fbld,
  fst: fstore(false),
  fstp: fstore(true),
  fstp1: fstpAlias,
  fstp8: fstore(true),
  fstp9: fstore(true),
  fist: fistore(false, false),
  fistp: fistore(true, false),
  fisttp: fistore(true, true),
  fbstp,
  fxch,
  ...stackOps,
  ...Object.fromEntries(Object.keys(CONSTANTS).map((k) => [k, constant(k)])),
};
