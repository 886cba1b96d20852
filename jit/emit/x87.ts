// x87 escapes D8-DF on a CPU model without an FPU (CPUID.01H:EDX.FPU = 0). With CR0.EM or
// CR0.TS set they raise #NM, which is how kernels emulate or lazily switch the FPU (SDM
// Vol. 3A 2.5 and Table 2-2); otherwise the instruction is one this CPU cannot execute and
// the run stops with KVM_EXIT_INTERNAL_ERROR naming it, never a silent wrong result.
import { Cr0, Vector } from '../../core/cpu/registers.ts';
import { GuestFault, InternalError } from '../../core/cpu/faults.ts';
import type { BlockContext } from '../context.ts';

type Emit = (ctx: BlockContext) => void;

const x87: Emit = (ctx) => {
  const i = ctx.instr;
  const opcode = i.opcode.toString(16);
  const modrm = ((i.mod << 6) | ((i.reg & 7) << 3) | (i.rm & 7)).toString(16).padStart(2, '0');
  ctx.helper((cpu, site) => {
    if (cpu.state.getLo('cr0') & (Cr0.EM | Cr0.TS)) throw new GuestFault(Vector.NM, undefined, site.delta);
    throw new InternalError(`x87 instruction not implemented (opcode ${opcode} ModRM ${modrm}): this CPU model has no FPU yet`, site.delta);
  });
};

export const x87Emitters: Record<string, Emit> = { x87 };
