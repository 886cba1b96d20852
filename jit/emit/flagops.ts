// Flag instructions CLC STC CMC CLD STD (SDM Vol. 2A/2B), and the helpers that the families
// computing flags eagerly share (shifts, bit scans, divide, BCD): they build an i32 with flag
// values at their RFLAGS positions for `ctx.flags.produceBits`.
import { Flag } from '../../core/cpu/registers.ts';
import type { BlockContext, Size } from '../context.ts';
import { Op } from '../wasm/encoder.ts';

type Emit = (ctx: BlockContext) => void;

/** Bit position of a single-bit flag in RFLAGS. */
export function flagPos(flag: number): number {
  return 31 - Math.clz32(flag);
}

/** A fresh i32 local holding the constant `bits` (flag values at their RFLAGS positions). */
export function constBits(ctx: BlockContext, bits: number): number {
  const l = ctx.i32();
  ctx.fb.i32Const(bits).set(l);
  return l;
}

/** Pushes i32: bit 0 of the i64 on the stack moved to `flag`'s position. */
export function lowBitTo(ctx: BlockContext, flag: number): void {
  const fb = ctx.fb;
  fb.op(Op.i32_wrap_i64).i32Const(1).op(Op.i32_and);
  if (flagPos(flag)) fb.i32Const(flagPos(flag)).op(Op.i32_shl);
}

/** Pushes i32: bit `bit` of the i64 local `l` at `flag`'s position. */
export function bitTo(ctx: BlockContext, l: number, bit: number, flag: number): void {
  ctx.fb.get(l);
  if (bit) ctx.fb.i64Const(bit).op(Op.i64_shr_u);
  lowBitTo(ctx, flag);
}

/** Pushes i32 PF: set when the low byte of the i64 local `res` has an even number of ones (SDM Vol. 1 3.4.3.1). */
export function parityBit(ctx: BlockContext, res: number): void {
  const fb = ctx.fb;
  fb.get(res).op(Op.i32_wrap_i64).i32Const(0xff).op(Op.i32_and).op(Op.i32_popcnt);
  fb.i32Const(1).op(Op.i32_and).i32Const(1).op(Op.i32_xor).i32Const(flagPos(Flag.PF)).op(Op.i32_shl);
}

/** Pushes i32 SF|ZF|PF of the `size`-byte result in the i64 local `res`. */
export function szpBits(ctx: BlockContext, res: number, size: Size): void {
  const fb = ctx.fb;
  fb.get(res);
  ctx.mask(size);
  fb.op(Op.i64_eqz).i32Const(flagPos(Flag.ZF)).op(Op.i32_shl);
  bitTo(ctx, res, size * 8 - 1, Flag.SF);
  fb.op(Op.i32_or);
  parityBit(ctx, res);
  fb.op(Op.i32_or);
}

/** Sets CF to a constant (CLC, STC). */
function setCarry(value: 0 | 1): Emit {
  return (ctx) => ctx.flags.produceBits(Flag.CF, constBits(ctx, value ? Flag.CF : 0));
}

/** CMC: CF = NOT CF (SDM Vol. 2A CMC). */
const cmc: Emit = (ctx) => {
  const bits = ctx.i32();
  ctx.flags.emitFlag(Flag.CF);
  ctx.fb.i32Const(Flag.CF).op(Op.i32_xor).set(bits);
  ctx.flags.produceBits(Flag.CF, bits);
};

/** CLD/STD: DF is a control flag, kept in RFLAGS in memory (deferred flags cover status flags only). */
function setDirection(set: boolean): Emit {
  return (ctx) => {
    const v = ctx.i64();
    ctx.loadField('rflags');
    if (set) ctx.fb.i64Const(Flag.DF).op(Op.i64_or);
    else ctx.fb.i64Const(~Flag.DF).op(Op.i64_and);
    ctx.fb.set(v);
    ctx.storeField('rflags', v);
  };
}

export const flagopsEmitters: Record<string, Emit> = {
  clc: setCarry(0),
  stc: setCarry(1),
  cmc,
  cld: setDirection(false),
  std: setDirection(true),
};
