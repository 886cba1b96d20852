// Integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP TEST INC DEC NEG NOT
// (SDM Vol. 2A/2B, each instruction's "Flags Affected"). Results and operands stay in locals
// so that flags are computed only where they are read (jit/flags.ts).
import { Flag, STATUS_FLAGS } from '../../core/cpu/registers.ts';
import type { BlockContext, Location } from '../context.ts';
import { DeferredFlags } from '../flags.ts';
import { Op } from '../wasm/encoder.ts';

type Emit = (ctx: BlockContext) => void;

/** Emits `dst = dst op src` for a two-operand ALU form and records its flag producer. */
function binary(op: 'add' | 'or' | 'adc' | 'sbb' | 'and' | 'sub' | 'xor' | 'cmp' | 'test'): Emit {
  return (ctx) => {
    const fb = ctx.fb;
    const dst = ctx.operand(0);
    const src: Location = ctx.operand(1, dst.size);
    const { a, b, res } = DeferredFlags.locals(fb);
    ctx.read(dst);
    fb.set(a);
    // Immediates narrower than the operand arrive sign-extended by the decoder (Ibs, Iz under REX.W).
    ctx.read(src);
    fb.set(b);
    fb.get(a).get(b);
    switch (op) {
      case 'add':
        fb.op(Op.i64_add);
        break;
      case 'adc':
        fb.op(Op.i64_add);
        ctx.flags.emitFlag(Flag.CF);
        fb.op(Op.i64_extend_i32_u).op(Op.i64_add);
        break;
      case 'sub':
      case 'cmp':
        fb.op(Op.i64_sub);
        break;
      case 'sbb':
        fb.op(Op.i64_sub);
        ctx.flags.emitFlag(Flag.CF);
        fb.op(Op.i64_extend_i32_u).op(Op.i64_sub);
        break;
      case 'and':
      case 'test':
        fb.op(Op.i64_and);
        break;
      case 'or':
        fb.op(Op.i64_or);
        break;
      case 'xor':
        fb.op(Op.i64_xor);
        break;
    }
    ctx.mask(dst.size);
    fb.set(res);
    if (op !== 'cmp' && op !== 'test') ctx.write(dst, res);
    const kind = op === 'add' || op === 'adc' ? 'add' : op === 'sub' || op === 'sbb' || op === 'cmp' ? 'sub' : 'logic';
    ctx.flags.produce(STATUS_FLAGS, { kind, size: dst.size, a, b, res, bits: -1, carry: op === 'adc' || op === 'sbb' });
  };
}

/** INC/DEC: like ADD/SUB 1 but CF is preserved (SDM Vol. 2A INC). */
function incDec(op: 'inc' | 'dec'): Emit {
  return (ctx) => {
    const fb = ctx.fb;
    const dst = ctx.operand(0);
    const { a, b, res } = DeferredFlags.locals(fb);
    ctx.read(dst);
    fb.tee(a).i64Const(1).op(op === 'inc' ? Op.i64_add : Op.i64_sub);
    ctx.mask(dst.size);
    fb.set(res);
    ctx.write(dst, res);
    ctx.flags.produce(STATUS_FLAGS & ~Flag.CF, { kind: op, size: dst.size, a, b, res, bits: -1 });
  };
}

/** NEG: 0 - dst, flags as SUB with CF = (dst != 0) (SDM Vol. 2B NEG). */
const neg: Emit = (ctx) => {
  const fb = ctx.fb;
  const dst = ctx.operand(0);
  const { a, b, res } = DeferredFlags.locals(fb);
  ctx.read(dst);
  fb.set(b).i64Const(0).set(a);
  fb.i64Const(0).get(b).op(Op.i64_sub);
  ctx.mask(dst.size);
  fb.set(res);
  ctx.write(dst, res);
  ctx.flags.produce(STATUS_FLAGS, { kind: 'sub', size: dst.size, a, b, res, bits: -1 });
};

/** NOT: one's complement, no flags (SDM Vol. 2B NOT). */
const not: Emit = (ctx) => {
  const fb = ctx.fb;
  const dst = ctx.operand(0);
  const res = ctx.i64();
  ctx.read(dst);
  fb.i64Const(-1).op(Op.i64_xor);
  ctx.mask(dst.size);
  fb.set(res);
  ctx.write(dst, res);
};

export const aluEmitters: Record<string, Emit> = {
  add: binary('add'),
  or: binary('or'),
  adc: binary('adc'),
  sbb: binary('sbb'),
  and: binary('and'),
  sub: binary('sub'),
  xor: binary('xor'),
  cmp: binary('cmp'),
  test: binary('test'),
  inc: incDec('inc'),
  dec: incDec('dec'),
  neg,
  not,
};
