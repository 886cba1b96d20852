// Decimal and ASCII adjust: DAA DAS AAA AAS AAM AAD (SDM Vol. 2A; invalid in 64-bit mode,
// which the decoder handles).
//
// The flags the SDM leaves undefined are what the recorded host CPU (AMD Zen, family 1Ah)
// produces, which matches these models bit for bit over all AL/AH/AF/CF inputs:
// - DAA/DAS: OF is the signed overflow of AL's adjustment (old AL to new AL).
// - AAA/AAS: the hardware adds (subtracts) 0x106 or 0 to the whole of AX; SF, ZF, PF and OF
//   are those of that 16-bit addition, before AL's high nibble is cleared.
// - AAM: OF, AF and CF are cleared. AAD: all six flags are those of the 8-bit addition
//   AL + AH * imm8.
import { Flag, Reg, STATUS_FLAGS, Vector } from '../../core/cpu/registers.ts';
import type { BlockContext } from '../context.ts';
import { DeferredFlags } from '../flags.ts';
import { Op } from '../wasm/encoder.ts';
import { flagPos, szpBits } from './flagops.ts';

type Emit = (ctx: BlockContext) => void;

/** Pushes i32 `(AL & 0x0f) > 9 || AF`: the low-nibble adjustment condition. */
function lowNibbleAdjust(ctx: BlockContext, al: number): void {
  const fb = ctx.fb;
  fb.get(al).op(Op.i32_wrap_i64).i32Const(0xf).op(Op.i32_and).i32Const(9).op(Op.i32_gt_u);
  ctx.flags.emitFlag(Flag.AF);
  fb.op(Op.i32_or);
}

/** DAA/DAS (SDM Vol. 2A "Operation"): adjust AL after a packed-BCD addition / subtraction. */
function decimalAdjust(sub: boolean): Emit {
  return (ctx) => {
    const fb = ctx.fb;
    const add = sub ? Op.i64_sub : Op.i64_add;
    const al = ctx.i64();
    const res = ctx.i64();
    const low = ctx.i32();
    const high = ctx.i32();
    const cf = ctx.i32();
    ctx.readReg(Reg.RAX, 1);
    fb.set(al);
    lowNibbleAdjust(ctx, al);
    fb.set(low);
    // old AL > 0x99 or old CF
    fb.get(al).i64Const(0x99).op(Op.i64_gt_u);
    ctx.flags.emitFlag(Flag.CF);
    fb.op(Op.i32_or).set(high);
    // DAS keeps the borrow of the low adjustment: CF = high || (low && AL < 6). For DAA the
    // carry of AL + 6 only happens when AL > 0x99, so CF = high.
    fb.get(high);
    if (sub) fb.get(low).get(al).i64Const(6).op(Op.i64_lt_u).op(Op.i32_and).op(Op.i32_or);
    fb.set(cf);
    fb.get(al);
    fb.i64Const(6).i64Const(0).get(low).op(Op.select).op(add);
    fb.i64Const(0x60).i64Const(0).get(high).op(Op.select).op(add);
    fb.i64Const(0xff).op(Op.i64_and).set(res);
    ctx.writeReg(Reg.RAX, 1, res);
    const bits = ctx.i32();
    // OF: the sign bit went from 0 to 1 (DAA) or from 1 to 0 (DAS).
    fb.get(sub ? al : res).get(sub ? res : al).i64Const(-1).op(Op.i64_xor).op(Op.i64_and);
    fb.i64Const(7).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32Const(1).op(Op.i32_and).i32Const(flagPos(Flag.OF)).op(Op.i32_shl);
    fb.get(cf).op(Op.i32_or);
    fb.get(low).i32Const(flagPos(Flag.AF)).op(Op.i32_shl).op(Op.i32_or);
    szpBits(ctx, res, 1);
    fb.op(Op.i32_or).set(bits);
    ctx.flags.produceBits(STATUS_FLAGS, bits);
  };
}

/** AAA/AAS (SDM Vol. 2A "Operation"): AX +/- 0x106 when the low nibble needs adjusting, then AL &= 0x0f. */
function asciiAdjust(sub: boolean): Emit {
  return (ctx) => {
    const fb = ctx.fb;
    const { a, b, res } = DeferredFlags.locals(fb);
    const adjust = ctx.i32();
    ctx.readReg(Reg.RAX, 2);
    fb.set(a);
    lowNibbleAdjust(ctx, a);
    fb.set(adjust);
    fb.i64Const(0x106).i64Const(0).get(adjust).op(Op.select).set(b);
    fb.get(a).get(b).op(sub ? Op.i64_sub : Op.i64_add).i64Const(0xffff).op(Op.i64_and).set(res);
    const ax = ctx.i64();
    fb.get(res).i64Const(0xff0f).op(Op.i64_and).set(ax);
    ctx.writeReg(Reg.RAX, 2, ax);
    ctx.flags.produce(Flag.SF | Flag.ZF | Flag.PF | Flag.OF, { kind: sub ? 'sub' : 'add', size: 2, a, b, res, bits: -1 });
    const bits = ctx.i32();
    fb.get(adjust).i32Const(Flag.AF | Flag.CF).op(Op.i32_mul).set(bits);
    ctx.flags.produceBits(Flag.AF | Flag.CF, bits);
  };
}

/** AAM imm8: AH = AL / imm8, AL = AL mod imm8; #DE when imm8 is 0 (SDM Vol. 2A AAM). */
const aam: Emit = (ctx) => {
  const fb = ctx.fb;
  const base = ctx.instr.imm & 0xff;
  if (base === 0) {
    ctx.raise(Vector.DE, 0);
    return;
  }
  const al = ctx.i64();
  const res = ctx.i64();
  const ax = ctx.i64();
  ctx.readReg(Reg.RAX, 1);
  fb.set(al);
  fb.get(al).i64Const(base).op(Op.i64_rem_u).set(res);
  fb.get(al).i64Const(base).op(Op.i64_div_u).i64Const(8).op(Op.i64_shl).get(res).op(Op.i64_or).set(ax);
  ctx.writeReg(Reg.RAX, 2, ax);
  ctx.flags.produce(STATUS_FLAGS, { kind: 'logic', size: 1, a: -1, b: -1, res, bits: -1 });
};

/** AAD imm8: AL = AL + AH * imm8, AH = 0 (SDM Vol. 2A AAD). */
const aad: Emit = (ctx) => {
  const fb = ctx.fb;
  const base = ctx.instr.imm & 0xff;
  const { a, b, res } = DeferredFlags.locals(fb);
  ctx.readReg(Reg.RAX, 1);
  fb.set(a);
  ctx.readReg(4, 1); // AH (these opcodes are invalid in 64-bit mode, so never under REX)
  fb.i64Const(base).op(Op.i64_mul).i64Const(0xff).op(Op.i64_and).set(b);
  fb.get(a).get(b).op(Op.i64_add).i64Const(0xff).op(Op.i64_and).set(res);
  ctx.writeReg(Reg.RAX, 2, res);
  ctx.flags.produce(STATUS_FLAGS, { kind: 'add', size: 1, a, b, res, bits: -1 });
};

export const bcdEmitters: Record<string, Emit> = {
  daa: decimalAdjust(false),
  das: decimalAdjust(true),
  aaa: asciiAdjust(false),
  aas: asciiAdjust(true),
  aam,
  aad,
};
