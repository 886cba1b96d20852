// Condition codes for Jcc, SETcc, CMOVcc (SDM Vol. 1 Appendix B, Table B-1). When every flag a
// condition reads comes from one pending CMP/SUB, the condition is computed straight from
// the operands (a < b unsigned is "b") instead of materializing flags.
import { CONDITIONS } from '../../core/cpu/opcodes.ts';
import { Flag } from '../../core/cpu/registers.ts';
import type { BlockContext } from '../context.ts';
import { Op } from '../wasm/encoder.ts';

/** Flags each condition pair (even code, odd = negation) reads. */
const READS = [Flag.OF, Flag.CF, Flag.ZF, Flag.CF | Flag.ZF, Flag.SF, Flag.PF, Flag.SF | Flag.OF, Flag.ZF | Flag.SF | Flag.OF];

export function conditionIndex(mnemonic: string, prefixLength: number): number {
  const cc = mnemonic.slice(prefixLength);
  const i = (CONDITIONS as readonly string[]).indexOf(cc);
  if (i < 0) throw new Error(`bad condition in ${mnemonic}`);
  return i;
}

/** Pushes an i32 that is 1 when condition `cc` (0..15) holds. */
export function emitCondition(ctx: BlockContext, cc: number): void {
  const fb = ctx.fb;
  const pair = cc >> 1;
  const p = ctx.flags.commonProducer(READS[pair]);
  if (p && p.kind === 'sub' && !p.carry && directSub(ctx, pair, p.a, p.b, p.res, p.size)) {
    if (cc & 1) fb.op(Op.i32_eqz);
    return;
  }
  const flag = (f: number): void => ctx.flags.emitFlag(f);
  switch (pair) {
    case 0:
      flag(Flag.OF);
      break;
    case 1:
      flag(Flag.CF);
      break;
    case 2:
      flag(Flag.ZF);
      break;
    case 3:
      flag(Flag.CF);
      flag(Flag.ZF);
      fb.op(Op.i32_or);
      break;
    case 4:
      flag(Flag.SF);
      break;
    case 5:
      flag(Flag.PF);
      break;
    case 6:
      flag(Flag.SF);
      flag(Flag.OF);
      fb.op(Op.i32_xor);
      break;
    case 7:
      flag(Flag.ZF);
      flag(Flag.SF);
      flag(Flag.OF);
      fb.op(Op.i32_xor).op(Op.i32_or);
      break;
  }
  if (cc & 1) fb.op(Op.i32_eqz);
}

/** Conditions of `a - b` computed by comparison. Returns false when not applicable. */
function directSub(ctx: BlockContext, pair: number, a: number, b: number, res: number, size: 1 | 2 | 4 | 8): boolean {
  const fb = ctx.fb;
  const signed = (l: number): void => {
    fb.get(l);
    ctx.signExtend(size);
  };
  switch (pair) {
    case 1: // b: a < b unsigned
      fb.get(a).get(b).op(Op.i64_lt_u);
      return true;
    case 2: // e: a == b
      fb.get(res).op(Op.i64_eqz);
      return true;
    case 3: // be
      fb.get(a).get(b).op(Op.i64_le_u);
      return true;
    case 6: // l: a < b signed
      signed(a);
      signed(b);
      fb.op(Op.i64_lt_s);
      return true;
    case 7: // le
      signed(a);
      signed(b);
      fb.op(Op.i64_le_s);
      return true;
  }
  return false;
}
