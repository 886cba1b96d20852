// The SSE floating-point instructions as cold-path operations on the vCPU state: the
// destination is an XMM (or MMX, or general) register, the source was staged by generated
// code in the state field `simdTmp`. Every element is computed first; then MXCSR's flags are
// set and an unmasked exception raises #XM (or #UD when CR4.OSXMMEXCPT = 0) with the
// destination unchanged; otherwise the results are written (SDM Vol. 1 11.5.1-11.5.4, Vol.
// 3A 6.15 "Interrupt 19—SIMD Floating-Point Exception").
import type { Cpu } from '../cpu/cpu.ts';
import { GuestFault } from '../cpu/faults.ts';
import { Cr4, STATUS_FLAGS, Vector } from '../cpu/registers.ts';
import { MXCSR_FLAGS, MXCSR_MASK_SHIFT, Rounding, envOf, type FpEnv } from './mxcsr.ts';
import {
  F32, F64, arith, comparePredicate, convertFloat, fromInt, minMax, reciprocal, relate, roundIntegral, sqrt, toInt,
  type ArithOp, type LaneResult,
} from './fp-ops.ts';
import type { FloatFormat } from './softfloat.ts';

/** What the emitter knows about the instruction. */
export interface FpInstr {
  readonly mnemonic: string;
  /** Destination register: XMM, MMX (CVT*2PI) or general (CVT*2SI). */
  readonly dst: number;
  readonly imm: number;
  /** Operand size of a general-register operand: 4 or 8. */
  readonly intSize: 4 | 8;
}

/** RFLAGS results of COMISS/UCOMISS (SDM Vol. 2A COMISS): ZF PF CF. */
const COMI_FLAGS = { un: 0x45, gt: 0x00, lt: 0x01, eq: 0x40 } as const;

class FpRun {
  pre = 0;
  post = 0;
  readonly env: FpEnv;
  readonly mxcsr: number;
  private readonly xmmBase: number;
  private readonly tmpBase: number;

  constructor(
    readonly cpu: Cpu,
    private readonly delta: number,
  ) {
    this.mxcsr = cpu.state.getU32('mxcsr');
    this.env = envOf(this.mxcsr);
    this.xmmBase = cpu.state.addr('xmm');
    this.tmpBase = cpu.state.addr('simdTmp');
  }

  private at(reg: number | 'src'): number {
    return reg === 'src' ? this.tmpBase : this.xmmBase + 16 * reg;
  }

  lane(f: FloatFormat, reg: number | 'src', i: number): bigint {
    const s = this.cpu.state;
    const a = this.at(reg) + i * (f.bits / 8);
    return f.bits === 32 ? BigInt(s.u32[a >>> 2]) : s.u64[a >>> 3];
  }

  /** An integer lane of the source: `bits` wide, sign-extended. */
  intLane(bits: 32 | 64, i: number): bigint {
    const s = this.cpu.state;
    const a = this.tmpBase + i * (bits / 8);
    return bits === 32 ? BigInt(s.i32[a >>> 2]) : BigInt.asIntN(64, s.u64[a >>> 3]);
  }

  acc(r: LaneResult): bigint {
    this.pre |= r.pre;
    this.post |= r.post;
    return r.bits;
  }

  /** Sets MXCSR's flags and faults on an unmasked exception (pre-computation ones hide the others). */
  commit(): void {
    const s = this.cpu.state;
    const unmasked = ~(this.mxcsr >> MXCSR_MASK_SHIFT) & MXCSR_FLAGS;
    const flags = this.pre & unmasked ? this.pre : this.pre | this.post;
    s.setU32('mxcsr', this.mxcsr | flags);
    if (flags & unmasked) {
      const vector = s.getLo('cr4') & Cr4.OSXMMEXCPT ? Vector.XM : Vector.UD;
      throw new GuestFault(vector, undefined, this.delta);
    }
  }

  setLane(f: FloatFormat, reg: number, i: number, bits: bigint): void {
    const s = this.cpu.state;
    const a = this.at(reg) + i * (f.bits / 8);
    if (f.bits === 32) s.u32[a >>> 2] = Number(bits);
    else s.u64[a >>> 3] = bits;
  }
}

const fmtOf = (m: string): FloatFormat => (m.endsWith('s') && !m.endsWith('pd') && !m.endsWith('sd') ? F32 : F64);
const lanesOf = (m: string, f: FloatFormat): number => (m.endsWith('ss') || m.endsWith('sd') ? 1 : 16 / (f.bits / 8));

/** Lane-wise: dst[i] = op(dst[i], src[i]) for the lanes of a packed or scalar form. */
function laneWise(run: FpRun, ins: FpInstr, f: FloatFormat, lanes: number, op: (a: bigint, b: bigint) => LaneResult): void {
  const out: bigint[] = [];
  for (let i = 0; i < lanes; i++) out.push(run.acc(op(run.lane(f, ins.dst, i), run.lane(f, 'src', i))));
  run.commit();
  out.forEach((v, i) => run.setLane(f, ins.dst, i, v));
}

const ARITH: Record<string, ArithOp> = { add: 'add', sub: 'sub', mul: 'mul', div: 'div' };

/** ROUNDPS imm8: bits 1:0 the rounding mode unless bit 2 selects MXCSR.RC; bit 3 suppresses PE. */
function roundMode(run: FpRun, imm: number): Rounding {
  return imm & 4 ? run.env.rc : ((imm & 3) as Rounding);
}

function writeGpr(cpu: Cpu, reg: number, size: 4 | 8, bits: bigint): void {
  if (size === 8) cpu.state.set64('gpr', bits, reg);
  else cpu.state.setLo('gpr', Number(bits & 0xffffffffn), reg);
}

/** MMX destination of CVT*2PI: the value and bits 79:64 set to ones (SDM Vol. 1 9.5.1). */
function writeMmx(cpu: Cpu, reg: number, bits: bigint): void {
  cpu.state.set64('fpuMant', bits, reg);
  cpu.state.u16[cpu.state.addr('fpuSignExp', reg) >>> 1] = 0xffff;
}

/** Runs one SSE floating-point instruction (the emitter has done the #UD/#NM checks and staged the source). */
export function execFp(cpu: Cpu, delta: number, ins: FpInstr): void {
  const run = new FpRun(cpu, delta);
  const m = ins.mnemonic;
  const env = run.env;
  const base = m.slice(0, -2);
  const f = fmtOf(m);
  if (base in ARITH) return laneWise(run, ins, f, lanesOf(m, f), (a, b) => arith(f, ARITH[base], a, b, env));
  switch (base) {
    case 'min':
    case 'max':
      return laneWise(run, ins, f, lanesOf(m, f), (a, b) => minMax(f, base === 'max', a, b, env));
    case 'sqrt':
      return laneWise(run, ins, f, lanesOf(m, f), (_a, b) => sqrt(f, b, env));
    case 'cmp':
      return laneWise(run, ins, f, lanesOf(m, f), (a, b) => comparePredicate(f, ins.imm, a, b, env));
    case 'round': {
      const rc = roundMode(run, ins.imm);
      return laneWise(run, ins, f, lanesOf(m, f), (_a, b) => roundIntegral(f, b, rc, (ins.imm & 8) !== 0, env));
    }
    case 'rcp':
    case 'rsqrt':
      return laneWise(run, ins, F32, lanesOf(m, F32), (_a, b) => ({ bits: reciprocal(b, base === 'rsqrt'), pre: 0, post: 0 }));
  }
  switch (m) {
    case 'comiss':
    case 'ucomiss':
    case 'comisd':
    case 'ucomisd': {
      const g = m.endsWith('ss') ? F32 : F64;
      const r = relate(g, run.lane(g, ins.dst, 0), run.lane(g, 'src', 0), env, !m.startsWith('u'));
      run.pre |= r.pre;
      run.commit();
      const s = cpu.state;
      s.setLo('rflags', (s.getLo('rflags') & ~STATUS_FLAGS) | COMI_FLAGS[r.rel]);
      return;
    }
    case 'haddps':
    case 'haddpd':
    case 'hsubps':
    case 'hsubpd': {
      const op: ArithOp = m.startsWith('hadd') ? 'add' : 'sub';
      const n = lanesOf(m, f);
      const out: bigint[] = [];
      for (const reg of [ins.dst, 'src'] as const)
        for (let i = 0; i < n; i += 2) out.push(run.acc(arith(f, op, run.lane(f, reg, i), run.lane(f, reg, i + 1), env)));
      run.commit();
      out.forEach((v, i) => run.setLane(f, ins.dst, i, v));
      return;
    }
  }
  convert(run, ins);
}

/** ADDSUBPS/PD: even lanes subtract, odd lanes add (SDM Vol. 2A ADDSUBPS). */
export function execAddSub(cpu: Cpu, delta: number, ins: FpInstr): void {
  const run = new FpRun(cpu, delta);
  const f = fmtOf(ins.mnemonic);
  const n = lanesOf(ins.mnemonic, f);
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) out.push(run.acc(arith(f, i & 1 ? 'add' : 'sub', run.lane(f, ins.dst, i), run.lane(f, 'src', i), run.env)));
  run.commit();
  out.forEach((v, i) => run.setLane(f, ins.dst, i, v));
}

/**
 * DPPS/DPPD: products of the lanes imm8[7:4] selects (others +0.0), summed pairwise with a
 * rounding at each step, broadcast to the lanes imm8[3:0] selects (others +0.0) (SDM Vol. 2A
 * DPPS "DP_primitive").
 */
export function execDot(cpu: Cpu, delta: number, ins: FpInstr): void {
  const run = new FpRun(cpu, delta);
  const f = ins.mnemonic === 'dpps' ? F32 : F64;
  const n = f === F32 ? 4 : 2;
  const env = run.env;
  const t: bigint[] = [];
  for (let i = 0; i < n; i++) t.push(ins.imm & (1 << (4 + i)) ? run.acc(arith(f, 'mul', run.lane(f, ins.dst, i), run.lane(f, 'src', i), env)) : 0n);
  let sum: bigint;
  if (n === 4) {
    const s1 = run.acc(arith(f, 'add', t[0], t[1], env));
    const s2 = run.acc(arith(f, 'add', t[2], t[3], env));
    sum = run.acc(arith(f, 'add', s1, s2, env));
  } else sum = run.acc(arith(f, 'add', t[0], t[1], env));
  run.commit();
  for (let i = 0; i < n; i++) run.setLane(f, ins.dst, i, ins.imm & (1 << i) ? sum : 0n);
}

/** The conversions (SDM Vol. 2A CVT*). */
function convert(run: FpRun, ins: FpInstr): void {
  const cpu = run.cpu;
  const env = run.env;
  const m = ins.mnemonic;
  const trunc = m.startsWith('cvtt');
  const rc = trunc ? Rounding.Zero : env.rc;
  const out = (f: FloatFormat, values: bigint[], clearTo = 0): void => {
    run.commit();
    values.forEach((v, i) => run.setLane(f, ins.dst, i, v));
    for (let i = values.length; i < clearTo; i++) run.setLane(f, ins.dst, i, 0n);
  };
  switch (m) {
    case 'cvtsi2ss':
    case 'cvtsi2sd': {
      const f = m === 'cvtsi2ss' ? F32 : F64;
      return out(f, [run.acc(fromInt(f, run.intLane(ins.intSize === 8 ? 64 : 32, 0), env))]);
    }
    case 'cvtss2si':
    case 'cvttss2si':
    case 'cvtsd2si':
    case 'cvttsd2si': {
      const f = m.includes('ss2') ? F32 : F64;
      const v = run.acc(toInt(f, run.lane(f, 'src', 0), ins.intSize === 8 ? 64 : 32, rc, env));
      run.commit();
      writeGpr(cpu, ins.dst, ins.intSize, v);
      return;
    }
    case 'cvtpi2ps':
      return out(F32, [0, 1].map((i) => run.acc(fromInt(F32, run.intLane(32, i), env))));
    case 'cvtpi2pd':
    case 'cvtdq2pd':
      return out(F64, [0, 1].map((i) => run.acc(fromInt(F64, run.intLane(32, i), env))));
    case 'cvtdq2ps':
      return out(F32, [0, 1, 2, 3].map((i) => run.acc(fromInt(F32, run.intLane(32, i), env))));
    case 'cvtps2pi':
    case 'cvttps2pi':
    case 'cvtpd2pi':
    case 'cvttpd2pi': {
      const f = m.includes('ps2') ? F32 : F64;
      const v = [0, 1].map((i) => run.acc(toInt(f, run.lane(f, 'src', i), 32, rc, env)));
      run.commit();
      writeMmx(cpu, ins.dst, v[0] | (v[1] << 32n));
      return;
    }
    case 'cvtps2dq':
    case 'cvttps2dq':
      return out(F32, [0, 1, 2, 3].map((i) => run.acc(toInt(F32, run.lane(F32, 'src', i), 32, rc, env))));
    case 'cvtpd2dq':
    case 'cvttpd2dq':
      return out(F32, [0, 1].map((i) => run.acc(toInt(F64, run.lane(F64, 'src', i), 32, rc, env))), 4);
    case 'cvtss2sd':
      return out(F64, [run.acc(convertFloat(F32, F64, run.lane(F32, 'src', 0), env))]);
    case 'cvtsd2ss':
      return out(F32, [run.acc(convertFloat(F64, F32, run.lane(F64, 'src', 0), env))]);
    case 'cvtps2pd':
      return out(F64, [0, 1].map((i) => run.acc(convertFloat(F32, F64, run.lane(F32, 'src', i), env))));
    case 'cvtpd2ps':
      return out(F32, [0, 1].map((i) => run.acc(convertFloat(F64, F32, run.lane(F64, 'src', i), env))), 4);
  }
  throw new Error(`execFp: no operation for ${m}`);
}

