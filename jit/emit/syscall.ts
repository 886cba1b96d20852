// Fast system calls and the FS/GS base instructions: SYSCALL SYSRET SYSENTER SYSEXIT SWAPGS
// run on the cold path (core/cpu/syscall.ts); RDFSBASE RDGSBASE WRFSBASE WRGSBASE are
// emitted inline (SDM Vol. 2B "RDFSBASE/RDGSBASE", "WRFSBASE/WRGSBASE").
import { Cr4, Seg, Vector } from '../../core/cpu/registers.ts';
import { swapgs, syscall, sysenter, sysexit, sysret } from '../../core/cpu/syscall.ts';
import type { BlockContext, Size } from '../context.ts';
import { Op } from '../wasm/encoder.ts';
import { coldHelper, nextRipOf, transfer } from './far.ts';

type Emit = (ctx: BlockContext) => void;

/** REX.W selects the 64-bit forms (SDM Vol. 2A 2.2.1.2). */
const REX_W = 8;

/** SYSRET and SYSEXIT return to 64-bit mode with REX.W and to 32-bit code without it. */
const returnSize = (ctx: BlockContext): 4 | 8 => (ctx.instr.rex & REX_W ? 8 : 4);

const syscallOp: Emit = (ctx) => {
  const next = nextRipOf(ctx);
  transfer(ctx, (cpu, site) => syscall(cpu, next(cpu, site)));
};

const sysretOp: Emit = (ctx) => {
  const size = returnSize(ctx);
  transfer(ctx, (cpu) => sysret(cpu, size));
};

const sysenterOp: Emit = (ctx) => transfer(ctx, (cpu) => sysenter(cpu));

const sysexitOp: Emit = (ctx) => {
  const size = returnSize(ctx);
  transfer(ctx, (cpu) => sysexit(cpu, size));
};

/** The GS base is read from the state at every access, so the block goes on after SWAPGS. */
const swapgsOp: Emit = (ctx) => coldHelper(ctx, (cpu) => swapgs(cpu), false);

/**
 * RDFSBASE/RDGSBASE r32/r64 and WRFSBASE/WRGSBASE r32/r64: #UD outside 64-bit mode, without
 * the F3 prefix, or with CR4.FSGSBASE clear; a 32-bit read zero-extends, a 32-bit write
 * clears bits 63:32; WR*BASE r64 with a non-canonical value is #GP(0).
 */
function fsgsBase(seg: Seg.FS | Seg.GS, write: boolean): Emit {
  return (ctx) => {
    const i = ctx.instr;
    const fb = ctx.fb;
    if (ctx.mode.codeSize !== 8 || i.mandatory !== 'F3') {
      ctx.raise(Vector.UD, 0);
      ctx.ended = true;
      return;
    }
    ctx.loadField('cr4');
    fb.i64Const(Cr4.FSGSBASE).op(Op.i64_and).op(Op.i64_eqz).if_();
    ctx.raise(Vector.UD, 0);
    fb.end();
    const size: Size = i.rex & REX_W ? 8 : 4;
    const value = ctx.i64();
    if (!write) {
      ctx.loadField('segBase', seg);
      fb.set(value);
      ctx.writeReg(i.rm, size, value);
      return;
    }
    ctx.readReg(i.rm, size);
    fb.set(value);
    if (size === 8) {
      ctx.nonCanonical(value);
      fb.if_();
      ctx.raise(Vector.GP, 0);
      fb.end();
    }
    ctx.storeField('segBase', value, seg);
  };
}

export const syscallEmitters: Record<string, Emit> = {
  syscall: syscallOp,
  sysret: sysretOp,
  sysenter: sysenterOp,
  sysexit: sysexitOp,
  swapgs: swapgsOp,
  rdfsbase: fsgsBase(Seg.FS, false),
  rdgsbase: fsgsBase(Seg.GS, false),
  wrfsbase: fsgsBase(Seg.FS, true),
  wrgsbase: fsgsBase(Seg.GS, true),
};
