// Stack operations: PUSH POP PUSHF POPF PUSHA POPA ENTER LEAVE (SDM Vol. 2B), with the
// stack address size from SS.B (or 64-bit mode) and the operand size from the instruction.
import { Reg, Seg } from '../../core/cpu/registers.ts';
import type { BlockContext, Size } from '../context.ts';
import { popSegment } from './segments.ts';
import { Op } from '../wasm/encoder.ts';

type Emit = (ctx: BlockContext) => void;

/** Segment register operands in Sreg encoding order (ES CS SS DS FS GS). */
export const SEGMENT_OPERANDS: readonly string[] = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS'];

/**
 * Pushes `value` (i64 local) of `size` bytes: the memory write happens before RSP changes,
 * so a faulting push leaves RSP intact (SDM Vol. 3A 6.13: faults are restartable).
 * Returns the local holding the new RSP when `commit` is false (the caller commits it).
 */
export function push(ctx: BlockContext, value: number, size: Size, commit = true, rspIn?: number): number {
  const fb = ctx.fb;
  const ss = ctx.mode.stackSize;
  const rsp = ctx.i64();
  if (rspIn === undefined) ctx.readReg(Reg.RSP, 8);
  else fb.get(rspIn);
  fb.i64Const(size).op(Op.i64_sub);
  ctx.mask(ss);
  fb.set(rsp);
  ctx.writeMem(Seg.SS, rsp, size, value);
  if (commit) ctx.writeReg(Reg.RSP, ss, rsp);
  return rsp;
}

/** Reads `size` bytes at the stack top into a local; returns [value, new RSP local] without committing. */
export function pop(ctx: BlockContext, size: Size, rspIn?: number): [number, number] {
  const fb = ctx.fb;
  const ss = ctx.mode.stackSize;
  const rsp = ctx.i64();
  if (rspIn === undefined) ctx.readReg(Reg.RSP, ss);
  else fb.get(rspIn);
  fb.set(rsp);
  const value = ctx.i64();
  ctx.readMem(Seg.SS, rsp, size);
  fb.set(value);
  const next = ctx.i64();
  fb.get(rsp).i64Const(size).op(Op.i64_add);
  ctx.mask(ss);
  fb.set(next);
  return [value, next];
}

const pushOp: Emit = (ctx) => {
  const i = ctx.instr;
  const op = i.form.operands[0];
  if (SEGMENT_OPERANDS.includes(op)) {
    // PUSH Sreg with a 32/64-bit operand size: recent Intel and AMD CPUs decrement RSP by
    // the operand size but write only the 16-bit selector (SDM Vol. 2B PUSH, note on segment registers).
    const sel = ctx.i64();
    ctx.loadField('segSel', SEGMENT_OPERANDS.indexOf(op));
    ctx.fb.set(sel);
    const fb = ctx.fb;
    const rsp = ctx.i64();
    ctx.readReg(Reg.RSP, 8);
    fb.i64Const(i.opSize).op(Op.i64_sub);
    ctx.mask(ctx.mode.stackSize);
    fb.set(rsp);
    ctx.writeMem(Seg.SS, rsp, 2, sel);
    ctx.writeReg(Reg.RSP, ctx.mode.stackSize, rsp);
    return;
  }
  const loc = ctx.operand(0, i.opSize);
  const v = ctx.readTo(loc);
  push(ctx, v, i.opSize);
};

const popOp: Emit = (ctx) => {
  const i = ctx.instr;
  if (SEGMENT_OPERANDS.includes(i.form.operands[0])) return popSegment(ctx);
  const [value, next] = pop(ctx, i.opSize);
  const dst = ctx.operand(0, i.opSize);
  if (dst.kind === 'reg') {
    // POP rSP: the popped value wins over the increment (SDM Vol. 2B POP).
    ctx.writeReg(Reg.RSP, ctx.mode.stackSize, next);
    ctx.write(dst, value);
    return;
  }
  // POP m with an RSP-based address uses RSP after the pop (SDM Vol. 2B POP); RSP itself is
  // committed only after the store, which may fault or exit (MMIO) and restart the instruction.
  if (dst.kind === 'mem' && i.mem?.base === Reg.RSP) {
    ctx.fb.get(dst.offset).i64Const(i.opSize).op(Op.i64_add);
    ctx.mask(i.addrSize);
    ctx.fb.set(dst.offset);
  }
  ctx.write(dst, value);
  ctx.writeReg(Reg.RSP, ctx.mode.stackSize, next);
};

const pusha: Emit = (ctx) => {
  // Order: AX CX DX BX (original) SP BP SI DI (SDM Vol. 2B PUSHA).
  const size = ctx.instr.opSize as Size;
  const orig = ctx.i64();
  ctx.readReg(Reg.RSP, 8);
  ctx.fb.set(orig);
  let rsp = orig;
  for (const r of [Reg.RAX, Reg.RCX, Reg.RDX, Reg.RBX, Reg.RSP, Reg.RBP, Reg.RSI, Reg.RDI]) {
    const v = r === Reg.RSP ? orig : ctx.i64();
    if (r !== Reg.RSP) {
      ctx.readReg(r, size);
      ctx.fb.set(v);
    }
    rsp = push(ctx, v, size, false, rsp);
  }
  ctx.writeReg(Reg.RSP, ctx.mode.stackSize, rsp);
};

const popa: Emit = (ctx) => {
  const size = ctx.instr.opSize as Size;
  const values: number[] = [];
  let rsp: number | undefined;
  for (let n = 0; n < 8; n++) {
    const [v, next] = pop(ctx, size, rsp);
    values.push(v);
    rsp = next;
  }
  // DI SI BP (SP skipped) BX DX CX AX
  const regs = [Reg.RDI, Reg.RSI, Reg.RBP, -1, Reg.RBX, Reg.RDX, Reg.RCX, Reg.RAX];
  regs.forEach((r, n) => r >= 0 && ctx.writeReg(r, size, values[n]));
  ctx.writeReg(Reg.RSP, ctx.mode.stackSize, rsp!);
};

const leave: Emit = (ctx) => {
  // RSP = RBP; RBP = pop (SDM Vol. 2B LEAVE).
  const ss = ctx.mode.stackSize;
  const bp = ctx.i64();
  ctx.readReg(Reg.RBP, ss);
  ctx.fb.set(bp);
  const [value, next] = pop(ctx, ctx.instr.opSize, bp);
  ctx.writeReg(Reg.RSP, ss, next);
  ctx.writeReg(Reg.RBP, ctx.instr.opSize, value);
};

export const stackEmitters: Record<string, Emit> = { push: pushOp, pop: popOp, pusha, popa, leave };
