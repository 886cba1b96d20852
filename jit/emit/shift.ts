// Shifts and rotates: ROL ROR RCL RCR SHL/SAL SHR SAR (SDM Vol. 2B "RCL/RCR/ROL/ROR—Rotate",
// "SAL/SAR/SHL/SHR—Shift") and the double shifts SHLD SHRD (Vol. 2B).
//
// The count is masked to 5 bits (6 with REX.W). A masked count of 0 changes no flag, but the
// destination is still written: a memory operand is a read-modify-write (a read-only page
// faults), and a 32-bit register is zero-extended in 64-bit mode (checked on the host CPU).
//
// Where the SDM leaves a result undefined, this code produces what the recorded host CPU
// (AMD Zen, family 1Ah) produces:
// - AF is set by every shift (SHL SHR SAR SHLD SHRD) with a non-zero count.
// - OF for counts above 1: SHL and SHLD give MSB(d << count) XOR CF, SHR SHRD ROR RCR give
//   the XOR of the two top result bits, ROL and RCL give MSB(result) XOR CF, SAR gives 0.
//   (These reduce to the SDM's definitions for a count of 1.)
// - CF for SHL/SHR when the count is at least the operand size: the last bit shifted out of
//   the zero-extended operand, so 0 beyond it.
// - SHLD/SHRD with a 16-bit operand and a count of 17-31 put the source rotated by
//   count - 16 in the destination (left for SHLD, right for SHRD) and clear CF.
import { Flag, Reg, STATUS_FLAGS } from '../../core/cpu/registers.ts';
import type { BlockContext, Location, Size } from '../context.ts';
import { Op } from '../wasm/encoder.ts';
import { flagPos, lowBitTo, szpBits } from './flagops.ts';

type Emit = (ctx: BlockContext) => void;
type ShiftKind = 'rol' | 'ror' | 'rcl' | 'rcr' | 'shl' | 'shr' | 'sar';

/** What an emitted shift needs: operand value, masked count (non-zero when used), result. */
interface ShiftLocals {
  readonly size: Size;
  /** i64: the destination's value, zero-extended. */
  readonly v: number;
  /** i64: the masked count. */
  readonly count: number;
  /** i64: the result, masked to the operand size. */
  readonly res: number;
  /** i32: the written flags at their RFLAGS positions. */
  readonly bits: number;
}

/** Flags each kind writes for a non-zero count. */
function writtenFlags(kind: ShiftKind): number {
  return kind === 'shl' || kind === 'shr' || kind === 'sar' ? STATUS_FLAGS : Flag.CF | Flag.OF;
}

/**
 * Resolves the count operand (imm8, 1 or CL) into `count` masked to 5 or 6 bits. Returns the
 * masked value when it is known at compile time.
 */
function maskedCount(ctx: BlockContext, loc: Location, size: Size, count: number): number | undefined {
  const mask = size === 8 ? 0x3f : 0x1f;
  if (loc.kind === 'imm') {
    const c = Number(loc.value) & mask;
    ctx.fb.i64Const(c).set(count);
    return c;
  }
  ctx.readReg(Reg.RCX, 1);
  ctx.fb.i64Const(mask).op(Op.i64_and).set(count);
  return undefined;
}

/**
 * Emits the common frame of every shift: read the destination, mask the count, compute the
 * result and flags with `body` when the count is non-zero, write the destination, and
 * record the flags. With a count in CL the flags keep their old values when it is zero.
 */
function shiftFrame(
  ctx: BlockContext,
  dst: Location,
  countLoc: Location,
  written: number,
  body: (l: ShiftLocals) => void,
  szpFromResult: boolean,
): void {
  const fb = ctx.fb;
  const size = dst.size;
  const v = ctx.readTo(dst);
  const count = ctx.i64();
  const known = maskedCount(ctx, countLoc, size, count);
  const res = ctx.i64();
  const bits = ctx.i32();
  const l: ShiftLocals = { size, v, count, res, bits };
  if (known === 0) {
    ctx.write(dst, v);
    return;
  }
  if (known !== undefined) {
    body(l);
    ctx.write(dst, res);
    if (szpFromResult) {
      // SF, ZF and PF follow the result: leave them to the deferred-flags machinery.
      ctx.flags.produce(Flag.SF | Flag.ZF | Flag.PF, { kind: 'logic', size, a: -1, b: -1, res, bits: -1 });
      ctx.flags.produceBits(written & ~(Flag.SF | Flag.ZF | Flag.PF), bits);
    } else ctx.flags.produceBits(written, bits);
    return;
  }
  // Count in CL: when it is zero the instruction leaves every flag as it was.
  ctx.flags.materialize(written);
  ctx.loadField('rflags');
  fb.op(Op.i32_wrap_i64).i32Const(written).op(Op.i32_and).set(bits);
  fb.get(v).set(res);
  fb.get(count).op(Op.i64_eqz).op(Op.i32_eqz).if_();
  body(l);
  if (szpFromResult) {
    szpBits(ctx, res, size);
    fb.get(bits).op(Op.i32_or).set(bits);
  }
  fb.end();
  ctx.write(dst, res);
  ctx.flags.produceBits(written, bits);
}

/** Pushes i64 `n - count` (the shift amount of the other half; Wasm shifts use it modulo 64). */
function minusCount(ctx: BlockContext, n: number, count: number): void {
  ctx.fb.i64Const(n).get(count).op(Op.i64_sub);
}

/**
 * SHL/SHR/SAR with count `c` != 0 (SDM Vol. 2B SAL/SAR/SHL/SHR, Operation). Sets `res` and
 * CF | OF | AF in `bits` (SF, ZF, PF come from the result).
 */
function emitShift(ctx: BlockContext, kind: 'shl' | 'shr' | 'sar', l: ShiftLocals): void {
  const fb = ctx.fb;
  const { size, v, count, res, bits } = l;
  const width = size * 8;
  const top = width - 1;
  const cf = ctx.i32();
  if (kind === 'shl') {
    fb.get(v).get(count).op(Op.i64_shl);
    ctx.mask(size);
    fb.set(res);
    // CF: the last bit shifted out, bit (width - count) of the operand. Past an 8/16-bit
    // operand width - count is negative; Wasm takes it modulo 64 (>= 41), which yields 0.
    fb.get(v);
    minusCount(ctx, width, count);
    fb.op(Op.i64_shr_u);
    lowBitTo(ctx, Flag.CF);
    fb.set(cf);
    // OF = MSB(result) XOR CF.
    fb.get(res).i64Const(top).op(Op.i64_shr_u).op(Op.i32_wrap_i64).get(cf).op(Op.i32_xor);
  } else {
    fb.get(v);
    if (kind === 'sar') ctx.signExtend(size);
    const src = ctx.i64();
    fb.tee(src).get(count).op(kind === 'sar' ? Op.i64_shr_s : Op.i64_shr_u);
    ctx.mask(size);
    fb.set(res);
    fb.get(src).get(count).i64Const(1).op(Op.i64_sub).op(Op.i64_shr_u);
    lowBitTo(ctx, Flag.CF);
    fb.set(cf);
    if (kind === 'sar') fb.i32Const(0);
    else fb.get(res).i64Const(top).op(Op.i64_shr_u).get(res).i64Const(top - 1).op(Op.i64_shr_u).op(Op.i64_xor).op(Op.i32_wrap_i64);
  }
  fb.i32Const(1).op(Op.i32_and).i32Const(flagPos(Flag.OF)).op(Op.i32_shl);
  fb.get(cf).op(Op.i32_or).i32Const(Flag.AF).op(Op.i32_or).set(bits);
}

/**
 * ROL/ROR/RCL/RCR with count `c` != 0 (SDM Vol. 2B RCL/RCR/ROL/ROR, Operation): ROL/ROR
 * rotate modulo the width, RCL/RCR rotate the (width + 1)-bit value CF:dst modulo 9/17/33/65.
 * Sets `res` and CF | OF in `bits`.
 */
function emitRotate(ctx: BlockContext, kind: 'rol' | 'ror' | 'rcl' | 'rcr', l: ShiftLocals): void {
  const fb = ctx.fb;
  const { size, v, count, res, bits } = l;
  const width = size * 8;
  const top = width - 1;
  const k = ctx.i64();
  const cf = ctx.i32();
  if (kind === 'rol' || kind === 'ror') {
    fb.get(count);
    if (width < 32) fb.i64Const(width).op(Op.i64_rem_u);
    fb.set(k);
    // A zero remainder (8/16 bits only) gives v | v >> width == v.
    fb.get(v).get(k).op(kind === 'rol' ? Op.i64_shl : Op.i64_shr_u);
    fb.get(v);
    minusCount(ctx, width, k);
    fb.op(kind === 'rol' ? Op.i64_shr_u : Op.i64_shl).op(Op.i64_or);
    ctx.mask(size);
    fb.set(res);
    fb.get(res);
    if (kind === 'ror') fb.i64Const(top).op(Op.i64_shr_u);
    lowBitTo(ctx, Flag.CF);
    fb.set(cf);
  } else if (size < 8) {
    // x = CF:v has width + 1 <= 33 bits; rotate it in an i64.
    const n = width + 1;
    const x = ctx.i64();
    const rot = ctx.i64();
    fb.get(count).i64Const(n).op(Op.i64_rem_u).set(k);
    ctx.flags.emitFlag(Flag.CF);
    fb.op(Op.i64_extend_i32_u).i64Const(width).op(Op.i64_shl).get(v).op(Op.i64_or).set(x);
    fb.get(x).get(k).op(kind === 'rcl' ? Op.i64_shl : Op.i64_shr_u);
    fb.get(x);
    minusCount(ctx, n, k);
    fb.op(kind === 'rcl' ? Op.i64_shr_u : Op.i64_shl).op(Op.i64_or);
    fb.i64Const((1n << BigInt(n)) - 1n).op(Op.i64_and).set(rot);
    fb.get(rot);
    ctx.mask(size);
    fb.set(res);
    fb.get(rot).i64Const(width).op(Op.i64_shr_u);
    lowBitTo(ctx, Flag.CF);
    fb.set(cf);
  } else {
    // 65-bit rotate, count 1..63: split so that no Wasm shift amount reaches 64.
    const c0 = ctx.i64();
    ctx.flags.emitFlag(Flag.CF);
    fb.op(Op.i64_extend_i32_u).set(c0);
    if (kind === 'rcl') {
      // (v << k) | (CF << (k - 1)) | (v >> (65 - k)); CF = bit 64 - k.
      fb.get(v).get(count).op(Op.i64_shl);
      fb.get(c0).get(count).i64Const(1).op(Op.i64_sub).op(Op.i64_shl).op(Op.i64_or);
      fb.get(v);
      minusCount(ctx, 64, count);
      fb.op(Op.i64_shr_u).i64Const(1).op(Op.i64_shr_u).op(Op.i64_or).set(res);
      fb.get(v);
      minusCount(ctx, 64, count);
      fb.op(Op.i64_shr_u);
    } else {
      // (v >> k) | (CF << (64 - k)) | (v << (65 - k)); CF = bit k - 1.
      fb.get(v).get(count).op(Op.i64_shr_u);
      fb.get(c0);
      minusCount(ctx, 64, count);
      fb.op(Op.i64_shl).op(Op.i64_or);
      fb.get(v);
      minusCount(ctx, 64, count);
      fb.op(Op.i64_shl).i64Const(1).op(Op.i64_shl).op(Op.i64_or).set(res);
      fb.get(v).get(count).i64Const(1).op(Op.i64_sub).op(Op.i64_shr_u);
    }
    lowBitTo(ctx, Flag.CF);
    fb.set(cf);
  }
  // OF: MSB XOR CF after a left rotate, the two top bits XORed after a right rotate.
  fb.get(res).i64Const(top).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
  if (kind === 'rol' || kind === 'rcl') fb.get(cf);
  else fb.get(res).i64Const(top - 1).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
  fb.op(Op.i32_xor).i32Const(1).op(Op.i32_and).i32Const(flagPos(Flag.OF)).op(Op.i32_shl);
  fb.get(cf).op(Op.i32_or).set(bits);
}

function shiftOp(kind: ShiftKind): Emit {
  return (ctx) => {
    const dst = ctx.operand(0);
    const countLoc = ctx.operand(1);
    const rotate = kind === 'rol' || kind === 'ror' || kind === 'rcl' || kind === 'rcr';
    shiftFrame(
      ctx,
      dst,
      countLoc,
      writtenFlags(kind),
      (l) => (rotate ? emitRotate(ctx, kind, l) : emitShift(ctx, kind, l)),
      !rotate,
    );
  };
}

/**
 * SHLD/SHRD (SDM Vol. 2B): shift the destination, filling from the source register. 16-bit
 * operands work on the 48-bit pattern dst:src:src (SHLD) or src:src:dst (SHRD), which gives
 * the host's source rotation for counts of 17-31.
 */
function doubleShift(left: boolean): Emit {
  return (ctx) => {
    const dst = ctx.operand(0);
    const size = dst.size;
    const width = size * 8;
    const top = width - 1;
    const srcLoc = ctx.operand(1, size);
    const countLoc = ctx.operand(2);
    const fb = ctx.fb;
    // The source register is read before anything is written.
    const s = ctx.readTo(srcLoc);
    shiftFrame(
      ctx,
      dst,
      countLoc,
      STATUS_FLAGS,
      ({ v: d, count, res, bits }) => {
        const cf = ctx.i32();
        if (size === 2) {
          if (left) fb.get(d).i64Const(32).op(Op.i64_shl).get(s).i64Const(16).op(Op.i64_shl).op(Op.i64_or).get(s).op(Op.i64_or);
          else fb.get(s).i64Const(32).op(Op.i64_shl).get(s).i64Const(16).op(Op.i64_shl).op(Op.i64_or).get(d).op(Op.i64_or);
          if (left) minusCount(ctx, 32, count);
          else fb.get(count);
          fb.op(Op.i64_shr_u);
        } else if (left) {
          fb.get(d).get(count).op(Op.i64_shl).get(s);
          minusCount(ctx, width, count);
          fb.op(Op.i64_shr_u).op(Op.i64_or);
        } else {
          fb.get(d).get(count).op(Op.i64_shr_u).get(s);
          minusCount(ctx, width, count);
          fb.op(Op.i64_shl).op(Op.i64_or);
        }
        ctx.mask(size);
        fb.set(res);
        // CF: the last bit shifted out of the destination; 0 once the count passes a 16-bit
        // operand (SHLD's 16 - count wraps modulo 64 to 49 or more, SHRD's count - 1 is past bit 15).
        fb.get(d);
        if (left) minusCount(ctx, width, count);
        else fb.get(count).i64Const(1).op(Op.i64_sub);
        fb.op(Op.i64_shr_u);
        lowBitTo(ctx, Flag.CF);
        fb.set(cf);
        if (left) fb.get(d).get(count).op(Op.i64_shl).i64Const(top).op(Op.i64_shr_u).op(Op.i32_wrap_i64).get(cf);
        else fb.get(res).i64Const(top).op(Op.i64_shr_u).op(Op.i32_wrap_i64).get(res).i64Const(top - 1).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
        fb.op(Op.i32_xor).i32Const(1).op(Op.i32_and).i32Const(flagPos(Flag.OF)).op(Op.i32_shl);
        fb.get(cf).op(Op.i32_or).i32Const(Flag.AF).op(Op.i32_or).set(bits);
      },
      true,
    );
  };
}

export const shiftEmitters: Record<string, Emit> = {
  rol: shiftOp('rol'),
  ror: shiftOp('ror'),
  rcl: shiftOp('rcl'),
  rcr: shiftOp('rcr'),
  shl: shiftOp('shl'),
  shr: shiftOp('shr'),
  sar: shiftOp('sar'),
  shld: doubleShift(true),
  shrd: doubleShift(false),
};
