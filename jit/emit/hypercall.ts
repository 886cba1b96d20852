// VMCALL (0F 01 C1) and VMMCALL (0F 01 D9): without VMX/SVM in the guest, both are KVM
// hypercalls, as under KVM, which emulates whichever instruction the host vendor lacks
// (arch/x86/kvm/x86.c kvm_emulate_hypercall; the ABI is in core/kvm/hypercall.ts).
import type { BlockContext } from '../context.ts';

type Emit = (ctx: BlockContext) => void;

const hypercall: Emit = (ctx) => {
  const long = ctx.mode.codeSize === 8;
  ctx.helper((cpu) => {
    cpu.env.vcpu.hypercall(long);
  }, false);
};

export const hypercallEmitters: Record<string, Emit> = { vmcall: hypercall, vmmcall: hypercall };
