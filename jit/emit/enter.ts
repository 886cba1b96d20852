// ENTER imm16, imm8: make a stack frame for a procedure (SDM Vol. 2A ENTER, "Operation").
//
//   push rBP; FrameTemp = rSP
//   for i = 1 .. level - 1: rBP -= opsize; push [SS:rBP]     (the enclosing frame pointers)
//   if level > 0: push FrameTemp
//   rBP = FrameTemp; rSP = rSP - imm16
//
// The nesting level is imm8 mod 32. rBP is stepped at the stack address size in a temporary:
// every stack read and write happens first, and only then are rBP (at the operand size:
// with a 16-bit operand BP receives FrameTemp[15:0]) and rSP (at the stack size) committed,
// so a fault anywhere leaves both unchanged and the instruction restarts.
import { Reg, Seg } from '../../core/cpu/registers.ts';
import type { BlockContext, Size } from '../context.ts';
import { Op } from '../wasm/encoder.ts';
import { push } from './stack.ts';

type Emit = (ctx: BlockContext) => void;

/** The nesting level operand is taken modulo 32 (SDM Vol. 2A ENTER: NestingLevel ← imm8 MOD 32). */
const NESTING_LEVELS = 32;

const enter: Emit = (ctx) => {
  const i = ctx.instr;
  const fb = ctx.fb;
  const os = i.opSize as Size;
  const ss = ctx.mode.stackSize;
  const allocSize = i.imm & 0xffff;
  const level = i.imm2 % NESTING_LEVELS;

  const bp = ctx.i64();
  ctx.readReg(Reg.RBP, os);
  fb.set(bp);
  const rsp = ctx.i64();
  fb.get(push(ctx, bp, os, false)).set(rsp);
  const frameTemp = ctx.i64();
  fb.get(rsp).set(frameTemp);

  if (level > 1) {
    // level - 1 frame pointers copied from the enclosing frames, as a Wasm loop.
    const frame = ctx.i64();
    const left = ctx.i32();
    ctx.readReg(Reg.RBP, ss);
    fb.set(frame);
    fb.i32Const(level - 1).set(left);
    fb.loop();
    fb.get(frame).i64Const(os).op(Op.i64_sub);
    ctx.mask(ss);
    fb.set(frame);
    const value = ctx.i64();
    ctx.readMem(Seg.SS, frame, os);
    fb.set(value);
    fb.get(push(ctx, value, os, false, rsp)).set(rsp);
    fb.get(left).i32Const(1).op(Op.i32_sub).tee(left).brIf(0);
    fb.end();
  }
  if (level > 0) fb.get(push(ctx, frameTemp, os, false, rsp)).set(rsp);

  const newRsp = ctx.i64();
  fb.get(rsp).i64Const(allocSize).op(Op.i64_sub);
  ctx.mask(ss);
  fb.set(newRsp);
  // #SS(0) if the new stack pointer is outside the stack segment limit (SDM Vol. 2A ENTER,
  // protected-mode exceptions); checked for an operand-size access there, as Bochs does.
  ctx.linear(Seg.SS, newRsp, os);
  fb.op(Op.drop);

  ctx.writeReg(Reg.RBP, os, frameTemp);
  ctx.writeReg(Reg.RSP, ss, newRsp);
};

export const enterEmitters: Record<string, Emit> = { enter };
