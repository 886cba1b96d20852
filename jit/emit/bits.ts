// Bit test, bit scan and bit count: BT BTS BTR BTC BSF BSR POPCNT LZCNT TZCNT (SDM Vol. 2A/2B).
//
// Flags the SDM leaves undefined, as the recorded host CPU (AMD Zen, family 1Ah) sets them:
// BT/BTS/BTR/BTC write only CF; BSF/BSR clear CF, OF, SF and AF and set PF from the index
// (from 0 when the source is 0). A zero source leaves the destination register untouched,
// all 64 bits of it (AMD APM Vol. 3 BSF; Intel CPUs behave the same).
//
// POPCNT LZCNT TZCNT (SDM Vol. 2B POPCNT, TZCNT; Vol. 2A LZCNT) count bits. LZCNT and TZCNT
// set CF when the source is 0 (the result is then the operand size) and ZF when the result
// is 0; of the flags the SDM leaves undefined the recorded host keeps OF and clears SF, AF
// and PF. Without their CPUID bits the F3 prefix is ignored and they execute as BSR and BSF
// (the encodings are REP BSR/BSF); POPCNT is #UD.
import { Feature, cpuidHas } from '../../core/cpu/cpuid.ts';
import { Flag, STATUS_FLAGS } from '../../core/cpu/registers.ts';
import type { BlockContext, Location } from '../context.ts';
import { Op } from '../wasm/encoder.ts';
import { requireFeature } from './bmi.ts';
import { flagPos, lowBitTo, parityBit } from './flagops.ts';

type Emit = (ctx: BlockContext) => void;
type BitOp = 'bt' | 'bts' | 'btr' | 'btc';

/**
 * The operand a bit instruction works on. A register bit offset with a memory base selects
 * the operand-size unit at EA + (offset SAR log2(width)) * size: the offset is a signed
 * integer of the operand size (SDM Vol. 2A BT, Table 3-2 and "Description"). Otherwise the
 * offset is taken modulo the width. Returns the location and an i64 local with the bit number.
 */
function bitOperand(ctx: BlockContext): { loc: Location; bit: number } {
  const fb = ctx.fb;
  const base = ctx.operand(0);
  const size = base.size;
  const width = size * 8;
  const offLoc = ctx.operand(1, size);
  const bit = ctx.i64();
  if (offLoc.kind === 'imm') {
    fb.i64Const(Number(offLoc.value) & (width - 1)).set(bit);
    return { loc: base, bit };
  }
  const off = ctx.readTo(offLoc);
  fb.get(off).i64Const(width - 1).op(Op.i64_and).set(bit);
  if (base.kind !== 'mem') return { loc: base, bit };
  const ea = ctx.i64();
  fb.get(base.offset).get(off);
  ctx.signExtend(size);
  fb.i64Const(Math.log2(width)).op(Op.i64_shr_s).i64Const(Math.log2(size)).op(Op.i64_shl).op(Op.i64_add);
  ctx.mask(ctx.instr.addrSize);
  fb.set(ea);
  return { loc: { kind: 'mem', seg: base.seg, offset: ea, size }, bit };
}

function bitTest(op: BitOp): Emit {
  return (ctx) => {
    const fb = ctx.fb;
    const { loc, bit } = bitOperand(ctx);
    const v = ctx.readTo(loc);
    if (op !== 'bt') {
      const res = ctx.i64();
      fb.get(v).i64Const(1).get(bit).op(Op.i64_shl);
      if (op === 'btr') fb.i64Const(-1).op(Op.i64_xor).op(Op.i64_and);
      else fb.op(op === 'bts' ? Op.i64_or : Op.i64_xor);
      fb.set(res);
      ctx.write(loc, res);
    }
    const bits = ctx.i32();
    fb.get(v).get(bit).op(Op.i64_shr_u);
    lowBitTo(ctx, Flag.CF);
    fb.set(bits);
    ctx.flags.produceBits(Flag.CF, bits);
  };
}

/** BSF/BSR: index of the lowest / highest set bit; ZF = source is 0. */
function bitScan(reverse: boolean): Emit {
  return (ctx) => {
    const fb = ctx.fb;
    const dst = ctx.operand(0);
    const v = ctx.readTo(ctx.operand(1, dst.size));
    const idx = ctx.i64();
    if (reverse) fb.i64Const(63).get(v).op(Op.i64_clz).op(Op.i64_sub);
    else fb.get(v).op(Op.i64_ctz);
    fb.set(idx);
    const bits = ctx.i32();
    fb.get(v).op(Op.i64_eqz).if_();
    fb.i32Const(Flag.ZF | Flag.PF).set(bits);
    fb.else_();
    ctx.write(dst, idx);
    parityBit(ctx, idx);
    fb.set(bits);
    fb.end();
    ctx.flags.produceBits(STATUS_FLAGS, bits);
  };
}

/** POPCNT: the number of set bits; ZF = source is 0, the other status flags cleared. */
const popcnt: Emit = (ctx) => {
  if (!requireFeature(ctx, Feature.POPCNT)) return;
  const fb = ctx.fb;
  const dst = ctx.operand(0);
  const v = ctx.readTo(ctx.operand(1, dst.size));
  const res = ctx.i64();
  fb.get(v).op(Op.i64_popcnt).set(res);
  ctx.write(dst, res);
  const bits = ctx.i32();
  fb.get(v).op(Op.i64_eqz).i32Const(flagPos(Flag.ZF)).op(Op.i32_shl).set(bits);
  ctx.flags.produceBits(STATUS_FLAGS, bits);
};

/** LZCNT / TZCNT: leading / trailing zero bits of the source, the operand size for 0. */
function zeroCount(leading: boolean): Emit {
  const fallback = bitScan(leading);
  return (ctx) => {
    if (!cpuidHas(ctx.cpu.env.cpuid, leading ? Feature.ABM : Feature.BMI1)) return fallback(ctx);
    const fb = ctx.fb;
    const dst = ctx.operand(0);
    const width = dst.size * 8;
    const v = ctx.readTo(ctx.operand(1, dst.size));
    const res = ctx.i64();
    // The source is zero-extended to 64 bits: its leading-zero count is 64 - width too many.
    if (leading) fb.get(v).op(Op.i64_clz).i64Const(64 - width).op(Op.i64_sub);
    else fb.i64Const(width).get(v).op(Op.i64_ctz).get(v).op(Op.i64_eqz).op(Op.select);
    fb.set(res);
    ctx.write(dst, res);
    const bits = ctx.i32();
    fb.get(v).op(Op.i64_eqz);
    fb.get(res).op(Op.i64_eqz).i32Const(flagPos(Flag.ZF)).op(Op.i32_shl).op(Op.i32_or).set(bits);
    ctx.flags.produceBits(STATUS_FLAGS & ~Flag.OF, bits);
  };
}

export const bitsEmitters: Record<string, Emit> = {
  popcnt,
  lzcnt: zeroCount(true),
  tzcnt: zeroCount(false),
  bt: bitTest('bt'),
  bts: bitTest('bts'),
  btr: bitTest('btr'),
  btc: bitTest('btc'),
  bsf: bitScan(false),
  bsr: bitScan(true),
};
