// Near control transfers: JMP Jcc CALL RET LOOP/LOOPE/LOOPNE JCXZ (SDM Vol. 2A/2B). Each ends
// the block by writing RIP. In 16/32-bit code the target is truncated to the operand size
// (a JMP with a 16-bit operand clears the upper half of EIP; SDM Vol. 2A JMP).
// The target is checked before anything is committed: a non-canonical target in 64-bit mode,
// or one beyond the CS limit elsewhere, raises #GP(0) at the branch itself (RIP of the branch,
// RSP and RCX unchanged), not at the target (SDM Vol. 2A JMP "If target offset is
// non-canonical", "If the target operand is beyond the code segment limits").
// Far transfers live in the system family (core/cpu/far.ts helpers).
import { CONDITIONS } from '../../core/cpu/opcodes.ts';
import { Reg } from '../../core/cpu/registers.ts';
import type { BlockContext } from '../context.ts';
import { Op } from '../wasm/encoder.ts';
import { emitCondition } from './conditions.ts';
import { pop, push } from './stack.ts';

type Emit = (ctx: BlockContext) => void;

/** Pushes the relative branch target, truncated to the operand size. */
function relativeTarget(ctx: BlockContext): void {
  ctx.nextRip();
  ctx.fb.i64Const(ctx.instr.imm).op(Op.i64_add);
  truncateTarget(ctx);
}

function truncateTarget(ctx: BlockContext): void {
  if (ctx.mode.codeSize !== 8 || ctx.instr.opSize !== 8) ctx.mask(ctx.mode.codeSize === 8 ? 8 : ctx.instr.opSize);
}

/** Checks the target on the stack and ends the block with it. */
function endWithTargetOnStack(ctx: BlockContext): void {
  const target = ctx.i64();
  ctx.fb.set(target);
  ctx.checkBranchTarget(target);
  ctx.storeField('rip', target);
  ctx.ended = true;
}

/** Ends the block at `target` (i64 local) when `taken` (i32 local) is set, else at the next instruction. */
function endConditional(ctx: BlockContext, target: number, taken: number, checked = false): void {
  const fb = ctx.fb;
  if (!checked) {
    fb.get(taken).if_();
    ctx.checkBranchTarget(target);
    fb.end();
  }
  const dest = ctx.i64();
  fb.get(target);
  ctx.nextRip();
  fb.get(taken).op(Op.select).set(dest);
  ctx.storeField('rip', dest);
  ctx.ended = true;
}

/** The relative target in a fresh local. */
function relativeTargetLocal(ctx: BlockContext): number {
  const target = ctx.i64();
  relativeTarget(ctx);
  ctx.fb.set(target);
  return target;
}

const jmp: Emit = (ctx) => {
  const i = ctx.instr;
  if (i.form.operands[0] === 'Ev') {
    const loc = ctx.operand(0, i.opSize);
    ctx.read(loc);
    truncateTarget(ctx);
  } else relativeTarget(ctx);
  endWithTargetOnStack(ctx);
};

function jcc(cc: number): Emit {
  return (ctx) => {
    const target = relativeTargetLocal(ctx);
    const taken = ctx.i32();
    emitCondition(ctx, cc);
    ctx.fb.set(taken);
    endConditional(ctx, target, taken);
  };
}

const call: Emit = (ctx) => {
  const i = ctx.instr;
  const fb = ctx.fb;
  const target = ctx.i64();
  if (i.form.operands[0] === 'Ev') {
    const loc = ctx.operand(0, i.opSize);
    ctx.read(loc);
    truncateTarget(ctx);
  } else relativeTarget(ctx);
  fb.set(target);
  ctx.checkBranchTarget(target);
  const ret = ctx.i64();
  ctx.nextRip();
  fb.set(ret);
  push(ctx, ret, i.opSize);
  ctx.storeField('rip', target);
  ctx.ended = true;
};

const ret: Emit = (ctx) => {
  const i = ctx.instr;
  const [popped, next] = pop(ctx, i.opSize);
  const rsp = next;
  if (i.form.operands[0] === 'Iw') {
    ctx.fb.get(next).i64Const(i.imm).op(Op.i64_add);
    ctx.mask(ctx.mode.stackSize);
    ctx.fb.set(rsp);
  }
  const target = ctx.i64();
  ctx.fb.get(popped);
  truncateTarget(ctx);
  ctx.fb.set(target);
  ctx.checkBranchTarget(target);
  ctx.writeReg(Reg.RSP, ctx.mode.stackSize, rsp);
  ctx.storeField('rip', target);
  ctx.ended = true;
};

/** LOOP/LOOPE/LOOPNE: decrement the count register (address size), branch if nonzero (and ZF test). */
function loop(kind: 'loop' | 'loope' | 'loopne'): Emit {
  return (ctx) => {
    const i = ctx.instr;
    const fb = ctx.fb;
    const count = ctx.i64();
    ctx.readReg(Reg.RCX, i.addrSize);
    fb.i64Const(1).op(Op.i64_sub);
    ctx.mask(i.addrSize);
    fb.set(count);
    const target = relativeTargetLocal(ctx);
    const taken = ctx.i32();
    fb.get(count).op(Op.i64_eqz).op(Op.i32_eqz);
    if (kind !== 'loop') {
      emitCondition(ctx, kind === 'loope' ? 4 : 5); // e / ne
      fb.op(Op.i32_and);
    }
    fb.set(taken);
    fb.get(taken).if_();
    ctx.checkBranchTarget(target);
    fb.end();
    ctx.writeReg(Reg.RCX, i.addrSize, count);
    endConditional(ctx, target, taken, true);
  };
}

const jcxz: Emit = (ctx) => {
  const i = ctx.instr;
  const target = relativeTargetLocal(ctx);
  const taken = ctx.i32();
  ctx.readReg(Reg.RCX, i.addrSize);
  ctx.fb.op(Op.i64_eqz).set(taken);
  endConditional(ctx, target, taken);
};

export const controlEmitters: Record<string, Emit> = {
  jmp,
  call,
  ret,
  loop: loop('loop'),
  loope: loop('loope'),
  loopne: loop('loopne'),
  jcxz,
};
CONDITIONS.forEach((c, i) => {
  controlEmitters['j' + c] = jcc(i);
});
