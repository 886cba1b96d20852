// RDRAND and RDSEED (SDM Vol. 2B): a random value of the operand size in a register, CF = 1
// (a value is always available here) and OF SF ZF AF PF cleared. Both draw from the host's
// cryptographic generator (Web Crypto getRandomValues, in workers and in Node), which serves
// as the "enhanced non-deterministic random bit generator" for both. And RDPID (SDM Vol. 2B):
// IA32_TSC_AUX in a register, r64 in 64-bit mode, r32 elsewhere.
//
// The value is produced on the cold path into the vCPU's `scratch` field; the register write
// itself is the ordinary one (16 bits merge, 32 bits zero-extend).
import type { Cpu } from '../../core/cpu/cpu.ts';
import { Feature, type CpuidFeature } from '../../core/cpu/cpuid.ts';
import { Msr } from '../../core/cpu/msr.ts';
import { Flag, STATUS_FLAGS, Vector } from '../../core/cpu/registers.ts';
import type { BlockContext, Size } from '../context.ts';
import { requireFeature } from './bmi.ts';
import { constBits } from './flagops.ts';

type Emit = (ctx: BlockContext) => void;

/** Stores a 64-bit value given as two 32-bit halves in the vCPU's scratch field. */
function setScratch(cpu: Cpu, lo: number, hi: number): void {
  const a = cpu.state.addr('scratch') >>> 2;
  cpu.state.u32[a] = lo;
  cpu.state.u32[a + 1] = hi;
}

/** Writes the scratch field, as set by a helper just before, to the r/m register. */
function writeScratch(ctx: BlockContext, size: Size): void {
  const v = ctx.i64();
  ctx.loadField('scratch');
  ctx.fb.set(v);
  ctx.writeReg(ctx.instr.rm, size, v);
}

/** RDRAND/RDSEED with an F2 or F3 prefix are #UD (SDM Vol. 2B RDRAND, RDSEED; F3 /7 is RDPID). */
function randomBits(feature: CpuidFeature): Emit {
  return (ctx) => {
    if (ctx.instr.repPrefix !== 0) {
      ctx.raise(Vector.UD, 0);
      ctx.ended = true;
      return;
    }
    if (!requireFeature(ctx, feature)) return;
    const words = new Uint32Array(2);
    ctx.helper((cpu) => {
      crypto.getRandomValues(words);
      setScratch(cpu, words[0], words[1]);
    }, false);
    writeScratch(ctx, ctx.instr.opSize);
    ctx.flags.produceBits(STATUS_FLAGS, constBits(ctx, Flag.CF));
  };
}

/** RDPID: F3 0F C7 /7 with a register operand; the memory form is #UD (decoder). */
const rdpid: Emit = (ctx) => {
  if (!requireFeature(ctx, Feature.RDPID)) return;
  ctx.helper((cpu) => {
    setScratch(cpu, Number(cpu.env.msrs.get(Msr.TSC_AUX) ?? 0n), 0);
  }, false);
  writeScratch(ctx, ctx.mode.codeSize === 8 ? 8 : 4);
};

export const randomEmitters: Record<string, Emit> = {
  rdrand: randomBits(Feature.RDRAND),
  rdseed: randomBits(Feature.RDSEED),
  rdpid,
};
