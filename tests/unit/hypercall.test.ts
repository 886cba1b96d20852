// VMCALL/VMMCALL follow KVM's hypercall ABI (Documentation/virt/kvm/x86/hypercalls.rst and
// include/uapi/linux/kvm_para.h: KVM_HC_VAPIC_POLL_IRQ = 1 returns 0, an unknown number
// returns -KVM_ENOSYS = -1000, CPL > 0 gets -KVM_EPERM = -1; 32-bit callers get 32-bit values).
import { describe, expect, it } from 'vitest';
import { Reg } from '../../core/cpu/registers.ts';
import { createTestVm, enterFlat32, ExitReason } from '../lib/machine.ts';
import { enterUser, longModeVm } from './long-mode-guest.ts';

const VMCALL = [0x0f, 0x01, 0xc1];
const VMMCALL = [0x0f, 0x01, 0xd9];
const HLT = [0xf4];

describe('KVM hypercalls', () => {
  it.each([
    ['VMCALL', VMCALL],
    ['VMMCALL', VMMCALL],
  ])('%s in 32-bit code: VAPIC_POLL_IRQ gives 0, an unknown number -KVM_ENOSYS as a 32-bit value', (_name, insn) => {
    const vm = createTestVm();
    // mov eax, 1; <call>; mov ebx, eax; mov eax, 0x12345; <call>; hlt
    vm.load(0x1000, [0xb8, 1, 0, 0, 0, ...insn, 0x89, 0xc3, 0xb8, 0x45, 0x23, 0x01, 0x00, ...insn, ...HLT]);
    enterFlat32(vm, 0x1000);
    vm.setReg(Reg.RBX, 0x55);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(Reg.RBX)).toBe(0);
    expect(vm.vcpu.cpu.state.get64('gpr', Reg.RAX)).toBe(0xfffffc18n); // (u32)-1000
  });

  it('in 64-bit mode the result is 64 bits wide: -KVM_ENOSYS is 0xffff_ffff_ffff_fc18', () => {
    const vm = longModeVm(0x1000);
    // mov rax, 0x100000000 + 1 (the number is not truncated: unknown); vmcall; hlt
    vm.load(0x1000, [0x48, 0xb8, 1, 0, 0, 0, 1, 0, 0, 0, ...VMCALL, ...HLT]);
    vm.runExpect(ExitReason.HLT);
    expect(vm.vcpu.cpu.state.get64('gpr', Reg.RAX)).toBe(0xfffffffffffffc18n);
  });

  it('at CPL 3 a hypercall returns -KVM_EPERM and does nothing else', () => {
    const vm = longModeVm(0x1000);
    // mov eax, 1; vmcall; mov rbx, rax; then a store to unbacked memory exits (MMIO), the
    // state at that exit is what the guest saw.
    vm.load(0x2000, [0xb8, 1, 0, 0, 0, ...VMCALL, 0x48, 0x89, 0xc3, 0xb8, 0x00, 0x00, 0x00, 0x10, 0x88, 0x00]);
    enterUser(vm, 0x2000);
    vm.runExpect(ExitReason.MMIO);
    expect(vm.vcpu.cpu.state.get64('gpr', Reg.RBX)).toBe(0xffffffffffffffffn); // -1
  });
});
