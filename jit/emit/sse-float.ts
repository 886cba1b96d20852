// SSE/SSE2/SSE3/SSE4.1 floating-point instructions. Generated code checks #UD/#NM, reads the
// source operand (memory faults happen here, before anything is written) and stages it in
// the state field `simdTmp`; core/simd/fp-exec.ts computes with MXCSR's rounding, DAZ/FTZ,
// flags and #XM. Wasm's f32/f64 arithmetic rounds to nearest only and sets no flags, so it
// cannot give the x86 result in general.
import { execAddSub, execDot, execFp, type FpInstr } from '../../core/simd/fp-exec.ts';
import type { BlockContext } from '../context.ts';
import { Op } from '../wasm/encoder.ts';
import { beginFast, checkMmx, checkSse, floatOperands, isMmxOperand, readVecTo, slowPath, v128Local, vecReg, type Emit } from './sse-common.ts';
import { Simd, laneBytes, shuffle, simd, simdLane, simdMem, v128Const, v128Splat } from './sse-wasm.ts';
import { Mxcsr, Rounding } from '../../core/simd/mxcsr.ts';
import { sseScalarEmitters } from './sse-scalar.ts';
import type { Cpu } from '../../core/cpu/cpu.ts';

type Exec = (cpu: Cpu, delta: number, ins: FpInstr) => void;

/** Reads operand 1 into `simdTmp`: a vector (register or memory) or a general-purpose integer (Ey). */
function stageSource(ctx: BlockContext): void {
  const fb = ctx.fb;
  const op = ctx.instr.form.operands[1];
  if (op[0] === 'E') {
    const v = ctx.readTo(ctx.operand(1));
    fb.i32Const(0).get(v).mem(Op.i64_store, ctx.addr('simdTmp'));
    return;
  }
  const v = readVecTo(ctx, 1);
  fb.i32Const(0).get(v);
  simdMem(fb, Simd.v128_store, ctx.addr('simdTmp'));
}

function fp(exec: Exec = execFp): Emit {
  return (ctx) => {
    const i = ctx.instr;
    const ops = i.form.operands;
    checkSse(ctx);
    // CVTPI2PS/PD with an MMX register and CVT*2PI put the x87 unit in MMX mode (SDM Vol. 2A CVTPI2PS).
    if ((isMmxOperand(ops[1]) && i.mem === null) || isMmxOperand(ops[0])) checkMmx(ctx);
    stageSource(ctx);
    const toGpr = ops[0][0] === 'G';
    const ins: FpInstr = {
      mnemonic: i.form.mnemonic,
      dst: toGpr ? i.reg : vecReg(ctx, 0),
      imm: i.imm & 0xff,
      intSize: i.opSize === 8 ? 8 : 4,
    };
    // The XMM register the helper may write: the destination unless it is general or MMX, or the form only compares.
    const writesXmm = ops[0][0] === 'V' && !i.form.mnemonic.includes('comis');
    ctx.helper((cpu, site) => exec(cpu, site.delta, ins), false, writesXmm ? [ins.dst] : []);
  };
}

/** The Wasm SIMD float instructions of one lane format. */
interface Lanes {
  readonly bytes: 4 | 8;
  readonly extract: Simd;
  readonly splat: Simd;
  readonly replace: Simd;
  readonly abs: Simd;
  readonly neg: Simd;
  readonly eq: Simd;
  readonly ne: Simd;
  readonly le: Simd;
  readonly ge: Simd;
  readonly sqrt: Simd;
  readonly ops: Record<'add' | 'sub' | 'mul' | 'div', Simd>;
  /** Round to an integral value, by rounding control (nearest, down, up, toward zero; SDM Vol. 1 Table 4-8). */
  readonly round: readonly [Simd, Simd, Simd, Simd];
  /** Bit patterns of the smallest normal and the largest finite number. */
  readonly minNormal: bigint;
  readonly max: bigint;
  /** Veltkamp's splitting constant 2^ceil(p/2) + 1, and the magnitudes within which Dekker's exact product holds. */
  readonly split: bigint;
  readonly dekkerMin: bigint;
  readonly dekkerMax: bigint;
}
const F32_LANES: Lanes = {
  bytes: 4, extract: Simd.f32x4_extract_lane, splat: Simd.f32x4_splat, replace: Simd.f32x4_replace_lane, abs: Simd.f32x4_abs,
  neg: Simd.f32x4_neg, eq: Simd.f32x4_eq, ne: Simd.f32x4_ne, le: Simd.f32x4_le, ge: Simd.f32x4_ge, sqrt: Simd.f32x4_sqrt,
  ops: { add: Simd.f32x4_add, sub: Simd.f32x4_sub, mul: Simd.f32x4_mul, div: Simd.f32x4_div },
  round: [Simd.f32x4_nearest, Simd.f32x4_floor, Simd.f32x4_ceil, Simd.f32x4_trunc],
  minNormal: 0x00800000n, max: 0x7f7fffffn,
  split: 0x45800800n, // 4097.0f = 2^12 + 1
  dekkerMin: 0x26800000n, // 2^-50
  dekkerMax: 0x58800000n, // 2^50
};
const F64_LANES: Lanes = {
  bytes: 8, extract: Simd.f64x2_extract_lane, splat: Simd.f64x2_splat, replace: Simd.f64x2_replace_lane, abs: Simd.f64x2_abs,
  neg: Simd.f64x2_neg, eq: Simd.f64x2_eq, ne: Simd.f64x2_ne, le: Simd.f64x2_le, ge: Simd.f64x2_ge, sqrt: Simd.f64x2_sqrt,
  ops: { add: Simd.f64x2_add, sub: Simd.f64x2_sub, mul: Simd.f64x2_mul, div: Simd.f64x2_div },
  round: [Simd.f64x2_nearest, Simd.f64x2_floor, Simd.f64x2_ceil, Simd.f64x2_trunc],
  minNormal: 0x0010000000000000n, max: 0x7fefffffffffffffn,
  split: 0x41a0000002000000n, // 134217729.0 = 2^27 + 1
  dekkerMin: 0x21f0000000000000n, // 2^-480
  dekkerMax: 0x5df0000000000000n, // 2^480
};

/**
 * MXCSR bits the fast path needs: round to nearest (RC = 00) and the precision exception
 * masked. Then an operation on normal or zero operands with a normal (or exactly cancelled)
 * result can raise no flag but PE, which generated code sets from an exactness test, and
 * Wasm's IEEE round-to-nearest-even result is the x86 one; DAZ and FTZ cannot matter (SDM
 * Vol. 1 10.2.3, 11.5.2). Everything else takes the exact path (core/simd/fp-exec.ts).
 */
const FAST_MXCSR_MASK = Mxcsr.RC_MASK | Mxcsr.PM;
const FAST_MXCSR = Mxcsr.PM;

type FastOp = 'add' | 'sub' | 'mul' | 'div' | 'sqrt';

/** Pushes a lane mask: |v| is a normal number (`zeroToo`: or a zero). */
function normalMask(ctx: BlockContext, l: Lanes, v: number, zeroToo: boolean): void {
  rangeMask(ctx, l, v, l.minNormal, l.max);
  if (zeroToo) {
    zeroMask(ctx, l, v);
    simd(ctx.fb, Simd.v128_or);
  }
}

/** Pushes a lane mask: lo <= |v| <= hi (bit patterns of positive numbers); false for NaN. */
function rangeMask(ctx: BlockContext, l: Lanes, v: number, lo: bigint, hi: bigint): void {
  const fb = ctx.fb;
  fb.get(v);
  simd(fb, l.abs);
  v128Splat(fb, l.bytes, lo);
  simd(fb, l.ge);
  fb.get(v);
  simd(fb, l.abs);
  v128Splat(fb, l.bytes, hi);
  simd(fb, l.le);
  simd(fb, Simd.v128_and);
}

/** Pushes a lane mask: v is +0 or -0. */
function zeroMask(ctx: BlockContext, l: Lanes, v: number): void {
  ctx.fb.get(v);
  v128Const(ctx.fb, []);
  simd(ctx.fb, l.eq);
}

/** Emits `to = op(x, y)` on v128 locals. */
function binop(ctx: BlockContext, op: Simd, x: number, y: number, to: number): void {
  ctx.fb.get(x).get(y);
  simd(ctx.fb, op);
  ctx.fb.set(to);
}

/**
 * Pushes the rounding error of the product p = fl(x * y) as a vector, exact by Dekker's
 * algorithm with Veltkamp splitting (T. J. Dekker, "A floating-point technique for
 * extending the available precision", 1971) while x, y and p stay within dekkerMin..dekkerMax.
 */
function productError(ctx: BlockContext, l: Lanes, x: number, y: number, p: number): void {
  const fb = ctx.fb;
  const t = (): number => v128Local(ctx);
  const split = (v: number): [number, number] => {
    const c = t();
    const hi = t();
    const lo = t();
    v128Splat(fb, l.bytes, l.split);
    fb.get(v);
    simd(fb, l.ops.mul);
    fb.set(c);
    fb.get(c).get(c).get(v);
    simd(fb, l.ops.sub);
    simd(fb, l.ops.sub);
    fb.set(hi);
    binop(ctx, l.ops.sub, v, hi, lo);
    return [hi, lo];
  };
  const [xh, xl] = split(x);
  const [yh, yl] = split(y);
  const m = t();
  // ((xh*yh - p) + xh*yl + xl*yh) + xl*yl
  binop(ctx, l.ops.mul, xh, yh, m);
  binop(ctx, l.ops.sub, m, p, m);
  fb.get(m).get(xh).get(yl);
  simd(fb, l.ops.mul);
  simd(fb, l.ops.add);
  fb.get(xl).get(yh);
  simd(fb, l.ops.mul);
  simd(fb, l.ops.add);
  fb.get(xl).get(yl);
  simd(fb, l.ops.mul);
  simd(fb, l.ops.add);
}

/** Pushes a lane mask: the result r of `op` on a, b was rounded (not exact). */
function inexactMask(ctx: BlockContext, l: Lanes, op: FastOp, a: number, b: number, r: number): void {
  const fb = ctx.fb;
  const t = (): number => v128Local(ctx);
  switch (op) {
    case 'add':
    case 'sub': {
      // Knuth's TwoSum: the error (a - (r - bb)) + (b' - bb) with bb = r - a is exact.
      const nb = t();
      const bb = t();
      fb.get(b);
      if (op === 'sub') simd(fb, l.neg);
      fb.set(nb);
      binop(ctx, l.ops.sub, r, a, bb);
      fb.get(a).get(r).get(bb);
      simd(fb, l.ops.sub);
      simd(fb, l.ops.sub);
      fb.get(nb).get(bb);
      simd(fb, l.ops.sub);
      simd(fb, l.ops.add);
      break;
    }
    case 'mul':
      productError(ctx, l, a, b, r);
      break;
    case 'div':
    case 'sqrt': {
      // Exact iff r * divisor (r * r) equals the dividend (radicand) with no rounding.
      const y = op === 'div' ? b : r;
      const x = op === 'div' ? a : b;
      const p = t();
      binop(ctx, l.ops.mul, r, y, p);
      fb.get(p).get(x);
      simd(fb, l.ne);
      productError(ctx, l, r, y, p);
      v128Const(fb, []);
      simd(fb, l.ne);
      simd(fb, Simd.v128_or);
      return;
    }
  }
  v128Const(fb, []);
  simd(fb, l.ne);
}

/**
 * Pushes the lane mask of the lanes where Wasm's r = op(a, b) (sqrt: of b) is the x86 result
 * in FAST_MXCSR with at most PE to add, and where inexactMask is exact: normal or zero
 * operands, a normal (or exactly zero) result, and Dekker's range for mul, div and sqrt.
 */
function fastLanes(ctx: BlockContext, l: Lanes, op: FastOp, a: number, b: number, r: number): void {
  const fb = ctx.fb;
  if (op === 'sqrt') {
    normalMask(ctx, l, b, true);
    fb.get(b);
    v128Const(fb, []);
    simd(fb, l.ge);
    simd(fb, Simd.v128_and);
  } else {
    normalMask(ctx, l, a, true);
    if (op === 'div') normalMask(ctx, l, b, false);
    else normalMask(ctx, l, b, true);
    simd(fb, Simd.v128_and);
    if (op === 'add' || op === 'sub') normalMask(ctx, l, r, true);
    else {
      normalMask(ctx, l, r, false);
      zeroMask(ctx, l, r);
      zeroMask(ctx, l, a);
      if (op === 'mul') {
        zeroMask(ctx, l, b);
        simd(fb, Simd.v128_or);
      }
      simd(fb, Simd.v128_and);
      simd(fb, Simd.v128_or);
    }
    simd(fb, Simd.v128_and);
  }
  if (op === 'mul' || op === 'div' || op === 'sqrt') {
    // Dekker's product needs its operands and result away from overflow and underflow;
    // zeros are exact anyway.
    for (const v of op === 'sqrt' ? [b, r] : [a, b, r]) {
      rangeMask(ctx, l, v, l.dekkerMin, l.dekkerMax);
      zeroMask(ctx, l, v);
      simd(fb, Simd.v128_or);
      simd(fb, Simd.v128_and);
    }
  }
}

/**
 * How the lanes of the two operands pair up: lane-wise (packed), lane 0 only (scalar), the
 * adjacent pairs of the destination then the source (HADD/HSUB: even lanes op odd lanes, SDM
 * Vol. 2A HADDPS), or lane-wise with the even lanes subtracted (ADDSUB: a - b computed as
 * a + (-b), which IEEE 754 defines as the same operation, SDM Vol. 2A ADDSUBPS).
 */
type Shape = 'packed' | 'scalar' | 'horizontal' | 'addsub';

/** HADD/HSUB operands: a = the even lanes of dst then src, b = the odd lanes. */
function pairLanes(ctx: BlockContext, l: Lanes, dst: number, src: number, a: number, b: number): void {
  const n = 16 / l.bytes;
  for (const [to, odd] of [[a, 0], [b, 1]] as const) {
    const lanes: number[] = [];
    for (const which of [0, 1] as const) for (let e = odd; e < n; e += 2) lanes.push(...laneBytes(e, l.bytes, which));
    ctx.fb.get(dst).get(src);
    shuffle(ctx.fb, lanes);
    ctx.fb.set(to);
  }
}

/** ADDSUB: b with the sign of its even lanes flipped. */
function negateEvenLanes(ctx: BlockContext, l: Lanes, b: number): void {
  const bytes: number[] = [];
  for (let e = 0; e < 16 / l.bytes; e++) for (let k = 0; k < l.bytes; k++) bytes.push(e % 2 === 0 && k === l.bytes - 1 ? 0x80 : 0);
  ctx.fb.get(b);
  v128Const(ctx.fb, bytes);
  simd(ctx.fb, Simd.v128_xor);
  ctx.fb.set(b);
}

/**
 * ADD/SUB/MUL/DIV/SQRT in PS/PD/SS/SD forms, HADD/HSUB and ADDSUB: Wasm SIMD float
 * arithmetic when the operands and MXCSR allow (see FAST_MXCSR), with PE set from an
 * exactness test; else the exact helper. Scalar forms compute on lane 0 broadcast to every
 * lane, so the checks see only it.
 */
function fastArith(op: FastOp, l: Lanes, shape: Shape, exec: Exec = execFp): Emit {
  return (ctx) => {
    const fb = ctx.fb;
    const scalar = shape === 'scalar';
    const { src, d, dst, a, b } = floatOperands(ctx, l, scalar);
    if (shape === 'horizontal') pairLanes(ctx, l, dst, src, a, b);
    if (shape === 'addsub') negateEvenLanes(ctx, l, b);
    const r = v128Local(ctx);
    if (op !== 'sqrt') fb.get(a);
    fb.get(b);
    simd(fb, op === 'sqrt' ? l.sqrt : l.ops[op]);
    fb.set(r);
    fastLanes(ctx, l, op, a, b, r);
    simd(fb, Simd.i32x4_all_true);
    fb.i32Const(0).mem(Op.i32_load, ctx.addr('mxcsr')).i32Const(FAST_MXCSR_MASK).op(Op.i32_and).i32Const(FAST_MXCSR).op(Op.i32_eq);
    fb.op(Op.i32_and);
    beginFast(ctx);
    // MXCSR.PE |= inexact; PE is sticky, so once set (as it is in most running programs) the
    // exactness test is skipped.
    fb.i32Const(0).mem(Op.i32_load, ctx.addr('mxcsr')).i32Const(Mxcsr.PE).op(Op.i32_and).op(Op.i32_eqz).if_();
    inexactMask(ctx, l, op, a, b, r);
    orPrecisionMask(ctx);
    fb.end();
    if (scalar) {
      fb.get(dst).get(r);
      simdLane(fb, l.extract, 0);
      simdLane(fb, l.replace, 0);
      fb.set(r);
    }
    slowPath(ctx, src, d, r, exec);
  };
}

/** ROUNDPS imm8 bits (SDM Vol. 2B ROUNDPS, Table 4-18): the rounding mode, "use MXCSR.RC", "suppress PE". */
const ROUND_RC_MASK = 3;
const ROUND_USE_MXCSR = 1 << 2;
const ROUND_NO_PE = 1 << 3;

/** MXCSR.PE |= (any lane of the v128 mask on the stack set). */
function orPrecisionMask(ctx: BlockContext): void {
  const fb = ctx.fb;
  const mx = ctx.addr('mxcsr');
  const inexact = ctx.i32();
  simd(fb, Simd.v128_any_true);
  fb.set(inexact);
  fb.i32Const(0).i32Const(0).mem(Op.i32_load, mx);
  fb.get(inexact).i32Const(Math.log2(Mxcsr.PE)).op(Op.i32_shl).op(Op.i32_or).mem(Op.i32_store, mx);
}

/**
 * ROUNDPS/PD/SS/SD in Wasm (roundToIntegral, exact IEEE semantics) when no lane is a NaN
 * (only an SNaN signals, IE), DAZ is clear (a denormal rounds as itself; DE is not signaled,
 * SDM Vol. 2B ROUNDPS "SIMD Floating-Point Exceptions"), PM is set unless imm8[3] suppresses
 * PE, and RC = 00 when imm8[2] selects MXCSR.RC; else the exact helper.
 */
function fastRound(l: Lanes, scalar: boolean): Emit {
  return (ctx) => {
    const fb = ctx.fb;
    const i = ctx.instr;
    const imm = i.imm & 0xff;
    const fromMxcsr = (imm & ROUND_USE_MXCSR) !== 0;
    const suppress = (imm & ROUND_NO_PE) !== 0;
    const { src, d, dst, b } = floatOperands(ctx, l, scalar);
    const r = v128Local(ctx);
    fb.get(b);
    simd(fb, l.round[fromMxcsr ? Rounding.Nearest : imm & ROUND_RC_MASK]!);
    fb.set(r);
    fb.get(b).get(b);
    simd(fb, l.eq);
    simd(fb, Simd.i32x4_all_true);
    const mask = Mxcsr.DAZ | (suppress ? 0 : Mxcsr.PM) | (fromMxcsr ? Mxcsr.RC_MASK : 0);
    fb.i32Const(0).mem(Op.i32_load, ctx.addr('mxcsr')).i32Const(mask).op(Op.i32_and).i32Const(suppress ? 0 : Mxcsr.PM).op(Op.i32_eq);
    fb.op(Op.i32_and);
    beginFast(ctx);
    if (!suppress) {
      fb.get(r).get(b);
      simd(fb, l.ne);
      orPrecisionMask(ctx);
    }
    if (scalar) {
      fb.get(dst).get(r);
      simdLane(fb, l.extract, 0);
      simdLane(fb, l.replace, 0);
      fb.set(r);
    }
    slowPath(ctx, src, d, r);
  };
}

/** Byte mask of the lanes whose bit is set in `bits` (bit e for lane e). */
function laneSelect(l: Lanes, bits: number): number[] {
  const out: number[] = [];
  for (let e = 0; e < 16 / l.bytes; e++) for (let k = 0; k < l.bytes; k++) out.push(bits & (1 << e) ? 0xff : 0);
  return out;
}

/**
 * DPPS/DPPD in Wasm when every step passes fastLanes: the products of the lanes imm8[7:4]
 * selects (the others +0.0), the pairwise sums, each step rounded as the SDM's DP_primitive
 * does, the sum broadcast to the lanes imm8[3:0] selects (the others +0.0); PE from any step
 * (SDM Vol. 2A DPPS: "exceptions are determined separately for each add and multiply").
 */
function fastDot(l: Lanes): Emit {
  return (ctx) => {
    const fb = ctx.fb;
    const i = ctx.instr;
    const imm = i.imm & 0xff;
    const n = 16 / l.bytes;
    const { src, d, a, b } = floatOperands(ctx, l, false);
    // Unselected lanes become +0.0 * +0.0 = +0.0, exact and flag-free.
    for (const v of [a, b]) {
      fb.get(v);
      v128Const(fb, laneSelect(l, imm >> 4));
      simd(fb, Simd.v128_and);
      fb.set(v);
    }
    const ok = v128Local(ctx);
    const steps: { x: number; y: number; op: 'mul' | 'add'; r: number }[] = [];
    const step = (x: number, y: number, op: 'mul' | 'add'): number => {
      const r = v128Local(ctx);
      binop(ctx, l.ops[op], x, y, r);
      fastLanes(ctx, l, op, x, y, r);
      if (steps.length) {
        fb.get(ok);
        simd(fb, Simd.v128_and);
      }
      fb.set(ok);
      steps.push({ x, y, op, r });
      return r;
    };
    /** A vector of lanes `lanes` of v. */
    const pick = (v: number, lanes: number[]): number => {
      const t = v128Local(ctx);
      fb.get(v).get(v);
      shuffle(fb, lanes.flatMap((e) => laneBytes(e, l.bytes, 0)));
      fb.set(t);
      return t;
    };
    let p = step(a, b, 'mul');
    if (n === 4) p = step(pick(p, [0, 2, 0, 2]), pick(p, [1, 3, 1, 3]), 'add');
    const sum = step(pick(p, Array<number>(n).fill(0)), pick(p, Array<number>(n).fill(1)), 'add');
    fb.get(ok);
    simd(fb, Simd.i32x4_all_true);
    fb.i32Const(0).mem(Op.i32_load, ctx.addr('mxcsr')).i32Const(FAST_MXCSR_MASK).op(Op.i32_and).i32Const(FAST_MXCSR).op(Op.i32_eq);
    fb.op(Op.i32_and);
    const r = v128Local(ctx);
    beginFast(ctx);
    // PE |= any step inexact, unless PE is set already.
    fb.i32Const(0).mem(Op.i32_load, ctx.addr('mxcsr')).i32Const(Mxcsr.PE).op(Op.i32_and).op(Op.i32_eqz).if_();
    steps.forEach((st, k) => {
      inexactMask(ctx, l, st.op, st.x, st.y, st.r);
      if (k) simd(fb, Simd.v128_or);
    });
    orPrecisionMask(ctx);
    fb.end();
    fb.get(sum);
    v128Const(fb, laneSelect(l, imm & 0xf));
    simd(fb, Simd.v128_and);
    fb.set(r);
    slowPath(ctx, src, d, r, execDot);
  };
}

const FAST: Record<string, Emit> = {
  dpps: fastDot(F32_LANES),
  dppd: fastDot(F64_LANES),
  roundps: fastRound(F32_LANES, false),
  roundpd: fastRound(F64_LANES, false),
  roundss: fastRound(F32_LANES, true),
  roundsd: fastRound(F64_LANES, true),
  ...Object.fromEntries(
    (['add', 'sub', 'mul', 'div', 'sqrt'] as const).flatMap((op) =>
      (['ps', 'pd', 'ss', 'sd'] as const).map((s) => [op + s, fastArith(op, s[1] === 's' ? F32_LANES : F64_LANES, s[0] === 's' ? 'scalar' : 'packed')]),
    ),
  ),
  haddps: fastArith('add', F32_LANES, 'horizontal'),
  haddpd: fastArith('add', F64_LANES, 'horizontal'),
  hsubps: fastArith('sub', F32_LANES, 'horizontal'),
  hsubpd: fastArith('sub', F64_LANES, 'horizontal'),
  addsubps: fastArith('add', F32_LANES, 'addsub', execAddSub),
  addsubpd: fastArith('add', F64_LANES, 'addsub', execAddSub),
};

const MNEMONICS = [
  ...['add', 'sub', 'mul', 'div', 'min', 'max', 'sqrt', 'cmp'].flatMap((b) => ['ps', 'pd', 'ss', 'sd'].map((s) => b + s)),
  'rcpps', 'rcpss', 'rsqrtps', 'rsqrtss', 'roundps', 'roundpd', 'roundss', 'roundsd',
  'comiss', 'ucomiss', 'comisd', 'ucomisd', 'haddps', 'haddpd', 'hsubps', 'hsubpd',
  'cvtsi2ss', 'cvtsi2sd', 'cvtss2si', 'cvttss2si', 'cvtsd2si', 'cvttsd2si', 'cvtpi2ps', 'cvtpi2pd', 'cvtdq2pd',
  'cvtdq2ps', 'cvtps2pi', 'cvttps2pi', 'cvtpd2pi', 'cvttpd2pi', 'cvtps2dq', 'cvttps2dq', 'cvtpd2dq', 'cvttpd2dq',
  'cvtss2sd', 'cvtsd2ss', 'cvtps2pd', 'cvtpd2ps',
];

export const sseFloatEmitters: Record<string, Emit> = {
  ...Object.fromEntries(MNEMONICS.map((m) => [m, fp()])),
  ...FAST,
  ...sseScalarEmitters,
};
