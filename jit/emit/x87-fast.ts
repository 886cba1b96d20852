// The Wasm fast path of the commonest x87 instructions (forms: x87-fast-forms.ts). It runs
// inside `block $slow`: any condition it does not model exactly branches out (depth 0) to
// the cold path that follows in the same block, before any state changes; on success the
// caller branches over the cold path. Both leave the same bits in the FPU state fields.
// The forms are calls of the x87 runtime module (x87-runtime.ts) with the operands, which
// the block reads from memory through its TLB code; a store to memory is a call for the bits,
// the block's write, and a call that commits the FPU state (the write may fault, so it comes
// first). FNSTSW stays inline.
import { Cr0 } from '../../core/cpu/registers.ts';
import { Sw } from '../../core/fpu/status.ts';
import { Op } from '../wasm/encoder.ts';
import { BLOCK_IMPORTS } from '../imports.ts';
import type { BlockContext } from '../context.ts';
import type { FastForm } from './x87-fast-forms.ts';
import { X87_OP, X87_OP_NAMES, X87_STORE, X87_STORE_COMMIT, X87_STORE_FORMS } from './x87-imports.ts';
import { ArithMode, CompareMode } from './x87-runtime.ts';
import { FpuFields, scratch } from './x87-fields.ts';

/** Emits the fast path of `f`; `fop` is the instruction's FOP value (SDM Vol. 1 8.1.9). */
export function emitFast(ctx: BlockContext, f: FastForm, fop: number): void {
  if (f.kind === 'fst-mem' || f.kind === 'fist') emitStore(ctx, f, fop);
  else if (f.kind === 'fnstsw') emitFnstsw(ctx);
  else emitCall(ctx, f, fop);
}

/**
 * FNSTSW AX / m16: the status word with TOP. Non-waiting (no #MF check) but #NM with CR0.EM
 * or TS (SDM Vol. 3A Table 2-2); a control instruction, so FIP, FDP and FOP stay (Vol. 2A
 * FSTSW; Vol. 1 8.1.8).
 */
function emitFnstsw(ctx: BlockContext): void {
  const fb = ctx.fb;
  const i = ctx.instr;
  const st = new FpuFields(ctx);
  st.begin();
  ctx.loadField('cr0');
  fb.i64Const(Cr0.EM | Cr0.TS).op(Op.i64_and).op(Op.i64_eqz).op(Op.i32_eqz).brIf(0);
  const v = scratch(ctx).i64();
  fb.get(st.sw).op(Op.i64_extend_i32_u).set(v);
  if (i.mem === null) ctx.writeReg(0, 2, v);
  else {
    const offset = scratch(ctx).i64();
    ctx.effectiveAddress(i.mem);
    fb.set(offset);
    ctx.writeMem(i.mem.seg, offset, 2, v);
  }
}

/** The x87_op operation of a form and its arguments a, b and mode (x87-imports.ts X87_OPS). */
function opOf(ctx: BlockContext, f: FastForm): { name: string; a: number; b: number; mode: number } {
  const i = ctx.instr;
  const rm = i.rm & 7;
  const fmt = i.mem === null ? 'reg' : f.fmt?.size === 4 ? 'm32' : 'm64';
  switch (f.kind) {
    case 'add':
    case 'mul':
    case 'div': {
      const mode = (f.pop ? ArithMode.POP : 0) | (f.negate === 'src' || f.reverse ? ArithMode.SWAP_OR_NEGATE_SRC : 0) | (f.negate === 'dest' ? ArithMode.NEGATE_DEST : 0);
      // dest ST(0) for D8 and the memory forms, ST(i) for the DC/DE register forms; src the other.
      const [dst, src] = f.toSti ? [rm, 0] : [0, rm];
      return { name: `${f.kind}_${fmt}`, a: dst, b: src, mode };
    }
    case 'compare': {
      const mode = (f.pops ?? 0) | (f.eflags ? CompareMode.EFLAGS : 0);
      return { name: f.source === 'zero' ? 'compare_zero' : `compare_${fmt}`, a: f.source === 'st1' ? 1 : rm, b: 0, mode };
    }
    case 'fld-mem':
      return { name: `fld_${fmt}`, a: 0, b: 0, mode: 0 };
    case 'fild':
      return { name: 'fild', a: 0, b: 0, mode: 0 };
    case 'fld-reg':
      return { name: 'fld_reg', a: rm, b: 0, mode: 0 };
    case 'fxch':
      return { name: 'fxch', a: rm, b: 0, mode: 0 };
    case 'fst-reg':
      return { name: 'fst_reg', a: rm, b: 0, mode: f.pop ? 1 : 0 };
    case 'sign':
      return { name: 'sign', a: f.sign === 'abs' ? 1 : 0, b: 0, mode: 0 };
    case 'fld1':
    case 'fldz':
      return { name: 'fldconst', a: f.kind === 'fld1' ? 1 : 0, b: 0, mode: 0 };
    default:
      throw new Error(`x87: no runtime operation for ${f.kind}`);
  }
}

/**
 * A form the x87 runtime executes: the memory operand is read here (through the block's TLB
 * code; FILD's integer sign-extended), then the call, whose 0 result means the cold path.
 */
function emitCall(ctx: BlockContext, f: FastForm, fop: number): void {
  const fb = ctx.fb;
  const i = ctx.instr;
  const mem = scratch(ctx).i64();
  const offset = scratch(ctx).i64();
  if (i.mem !== null) {
    // x87.ts has raised #NM and #MF (CR0.NE) before the operand may fault; a pending
    // exception with CR0.NE = 0 is the cold path's (it runs the instruction).
    fb.i32Const(0).mem(Op.i32_load16_u, ctx.addr('fpuSw')).i32Const(Sw.ES).op(Op.i32_and).brIf(0);
    ctx.effectiveAddress(i.mem);
    fb.set(offset);
    const size = f.kind === 'fild' ? f.intSize! : f.fmt!.size;
    ctx.readMem(i.mem.seg, offset, size);
    if (f.kind === 'fild' && size < 8) {
      const unused = BigInt(64 - 8 * size);
      fb.i64Const(unused).op(Op.i64_shl).i64Const(unused).op(Op.i64_shr_s);
    }
    fb.set(mem);
  } else {
    fb.i64Const(0n).set(mem);
    fb.i64Const(0n).set(offset);
  }
  const op = opOf(ctx, f);
  fb.i32Const(X87_OP_NAMES.indexOf(op.name)).i32Const(op.a).i32Const(op.b).get(mem).i32Const(op.mode);
  fb.get(ctx.rip0).i64Const(ctx.delta).op(Op.i64_add);
  ctx.wrapIp();
  fb.i32Const(fop).i32Const(i.mem === null ? -1 : i.mem.seg).get(offset);
  fb.call(importIndex(X87_OP));
  fb.op(Op.i32_eqz).brIf(0);
}

/**
 * FST/FSTP m32/m64, FIST/FISTP: the runtime computes the bits (or says "cold path"), the
 * block stores them (a fault there leaves the FPU state as it was), then the runtime commits
 * PE, C1, the pop, SW and the pointers (x87-imports.ts X87_STORE_FORMS).
 */
function emitStore(ctx: BlockContext, f: FastForm, fop: number): void {
  const fb = ctx.fb;
  const i = ctx.instr;
  const size = f.kind === 'fist' ? f.intSize! : f.fmt!.size;
  const form = (X87_STORE_FORMS as readonly string[]).indexOf(f.kind === 'fist' ? `fist_m${8 * size}` : `fst_m${8 * size}`);
  const [value, offset] = [scratch(ctx).i64(), scratch(ctx).i64()];
  const status = scratch(ctx).i32();
  fb.i32Const(form).call(importIndex(X87_STORE)).set(status).set(value);
  fb.get(status).op(Op.i32_eqz).brIf(0);
  ctx.effectiveAddress(i.mem!);
  fb.set(offset);
  ctx.writeMem(i.mem!.seg, offset, size, value);
  fb.get(status).i32Const(f.pop ? 1 : 0);
  fb.get(ctx.rip0).i64Const(ctx.delta).op(Op.i64_add);
  ctx.wrapIp();
  fb.i32Const(fop).i32Const(i.mem!.seg).get(offset);
  fb.call(importIndex(X87_STORE_COMMIT));
}

/** The block-module import index of x87 runtime entry point `name`. */
function importIndex(name: string): number {
  return BLOCK_IMPORTS.findIndex((imp) => imp.name === name);
}
