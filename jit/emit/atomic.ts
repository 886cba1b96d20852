// Exchange-and-operate instructions: XADD CMPXCHG CMPXCHG8B CMPXCHG16B (SDM Vol. 2A/2D).
//
// LOCK needs nothing more here: translate.ts wraps a locked instruction in the bus lock and
// makes its store an atomic compare-exchange against what its load saw (jit/locked-rmw.ts),
// which is atomic across vCPU workers as long as the load precedes the store, as below.
//
// A memory destination is always written, also when CMPXCHG's comparison fails: "the
// destination operand is written back if the comparison fails" (SDM Vol. 2A CMPXCHG), so a
// read-only page faults either way (checked on the host CPU). A register destination is not
// written when the comparison fails: the host leaves the upper half of a 32-bit register in
// 64-bit mode as it was.
import { Feature } from '../../core/cpu/cpuid.ts';
import { Flag, Reg, STATUS_FLAGS, Vector } from '../../core/cpu/registers.ts';
import type { BlockContext, Location } from '../context.ts';
import { DeferredFlags } from '../flags.ts';
import { Op } from '../wasm/encoder.ts';
import { requireFeature } from './bmi.ts';
import { flagPos } from './flagops.ts';

type Emit = (ctx: BlockContext) => void;

/** XADD: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP; flags as ADD (SDM Vol. 2D XADD). */
const xadd: Emit = (ctx) => {
  const fb = ctx.fb;
  const dst = ctx.operand(0);
  const src = ctx.operand(1, dst.size);
  const { a, b, res } = DeferredFlags.locals(fb);
  ctx.read(dst);
  fb.set(a);
  ctx.read(src);
  fb.tee(b).get(a).op(Op.i64_add);
  ctx.mask(dst.size);
  fb.set(res);
  // The memory write comes first (it may fault); with two registers DEST is written last, so
  // XADD r, r (the same register) leaves the sum.
  if (dst.kind === 'mem') ctx.write(dst, res);
  ctx.write(src, a);
  if (dst.kind !== 'mem') ctx.write(dst, res);
  ctx.flags.produce(STATUS_FLAGS, { kind: 'add', size: dst.size, a, b, res, bits: -1 });
};

/** CMPXCHG: compare the accumulator with DEST; equal: DEST = SRC, else accumulator = DEST. Flags as CMP. */
const cmpxchg: Emit = (ctx) => {
  const fb = ctx.fb;
  const dst: Location = ctx.operand(0);
  const size = dst.size;
  const src = ctx.operand(1, size);
  const { a, b, res } = DeferredFlags.locals(fb);
  const s = ctx.readTo(src);
  ctx.readReg(Reg.RAX, size);
  fb.set(a);
  ctx.read(dst);
  fb.set(b);
  fb.get(a).get(b).op(Op.i64_sub);
  ctx.mask(size);
  fb.set(res);
  const equal = ctx.i32();
  fb.get(a).get(b).op(Op.i64_eq).set(equal);
  if (dst.kind === 'mem') {
    const out = ctx.i64();
    fb.get(s).get(b).get(equal).op(Op.select).set(out);
    ctx.write(dst, out);
    fb.get(equal).op(Op.i32_eqz).if_();
    ctx.writeReg(Reg.RAX, size, b);
    fb.end();
  } else {
    fb.get(equal).if_();
    ctx.write(dst, s);
    fb.else_();
    ctx.writeReg(Reg.RAX, size, b);
    fb.end();
  }
  ctx.flags.produce(STATUS_FLAGS, { kind: 'sub', size, a, b, res, bits: -1 });
};

/**
 * CMPXCHG8B m64 / CMPXCHG16B m128 (REX.W): compare rDX:rAX with the memory operand; equal:
 * store rCX:rBX, else load it into rDX:rAX. Only ZF changes. CMPXCHG16B needs a 16-byte
 * aligned operand, else #GP(0), and is #UD without CPUID.01H:ECX.CMPXCHG16B (SDM Vol. 2A
 * CMPXCHG8B/CMPXCHG16B).
 */
const cmpxchg8b: Emit = (ctx) => {
  const fb = ctx.fb;
  const i = ctx.instr;
  const loc = ctx.operand(0, 8);
  if (loc.kind !== 'mem') throw new Error('CMPXCHG8B takes a memory operand (the decoder raises #UD)');
  const wide = i.opSize === 8;
  if (wide && !requireFeature(ctx, Feature.CX16)) return;
  const half = wide ? 8 : 4;
  const equal = ctx.i32();
  const lo = ctx.i64();
  const hi = ctx.i64();
  // CMPXCHG16B: the offset of the upper quadword.
  const next = ctx.i64();
  if (!wide) {
    // One 8-byte access; the halves compare with EDX:EAX.
    const m = ctx.readTo(loc);
    fb.get(m).i64Const(0xffffffffn).op(Op.i64_and).set(lo);
    fb.get(m).i64Const(32).op(Op.i64_shr_u).set(hi);
  } else {
    ctx.linear(loc.seg, loc.offset, 8);
    fb.i64Const(15).op(Op.i64_and).op(Op.i64_eqz).op(Op.i32_eqz).if_();
    ctx.raise(Vector.GP, 0);
    fb.end();
    fb.get(loc.offset).i64Const(8).op(Op.i64_add);
    ctx.mask(i.addrSize);
    fb.set(next);
    ctx.readMem(loc.seg, loc.offset, 8);
    fb.set(lo);
    ctx.readMem(loc.seg, next, 8);
    fb.set(hi);
  }
  ctx.readReg(Reg.RAX, half);
  fb.get(lo).op(Op.i64_eq);
  ctx.readReg(Reg.RDX, half);
  fb.get(hi).op(Op.i64_eq).op(Op.i32_and).set(equal);
  const newLo = ctx.i64();
  const newHi = ctx.i64();
  ctx.readReg(Reg.RBX, half);
  fb.get(lo).get(equal).op(Op.select).set(newLo);
  ctx.readReg(Reg.RCX, half);
  fb.get(hi).get(equal).op(Op.select).set(newHi);
  if (!wide) {
    const m = ctx.i64();
    fb.get(newHi).i64Const(32).op(Op.i64_shl).get(newLo).op(Op.i64_or).set(m);
    ctx.write(loc, m);
  } else {
    // Both halves lie on one page (the operand is 16-byte aligned): the second write cannot
    // fault after the first succeeded.
    ctx.writeMem(loc.seg, loc.offset, 8, newLo);
    ctx.writeMem(loc.seg, next, 8, newHi);
  }
  fb.get(equal).op(Op.i32_eqz).if_();
  ctx.writeReg(Reg.RAX, half, lo);
  ctx.writeReg(Reg.RDX, half, hi);
  fb.end();
  const bits = ctx.i32();
  fb.get(equal).i32Const(flagPos(Flag.ZF)).op(Op.i32_shl).set(bits);
  ctx.flags.produceBits(Flag.ZF, bits);
};

export const atomicEmitters: Record<string, Emit> = { xadd, cmpxchg, cmpxchg8b };
