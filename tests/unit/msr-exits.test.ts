// KVM's user-space MSR exits (Documentation/virt/kvm/api.rst: KVM_CAP_X86_USER_SPACE_MSR,
// KVM_EXIT_X86_RDMSR/WRMSR): with the capability enabled for a reason, an RDMSR/WRMSR the
// CPU refuses exits to the VMM with kvm_run.msr {error, reason, index, data}; the VMM's
// answer completes it on the next KVM_RUN, or error = 1 injects #GP(0). Without it the guest
// gets #GP(0), as on hardware (SDM Vol. 2B RDMSR/WRMSR).
import { describe, expect, it } from 'vitest';
import { inlineSpawner } from '../../core/kvm/inline.ts';
import { Cap, ExitReason, Kvm, KvmError, MsrExitReason, type Vcpu, type Vm } from '../../core/kvm/index.ts';

const CODE = 0x1000;
const GP_HANDLER = 0x2000;
const UNKNOWN_MSR = 0x12345678;
/** IA32_PAT: exists; type 2 in a byte is reserved, so the write below is refused (SDM Vol. 3A 13.12.2). */
const IA32_PAT = 0x277;

/** mov ecx, index (real mode, 66 prefix) */
const movEcx = (index: number): number[] => [0x66, 0xb9, index & 0xff, (index >>> 8) & 0xff, (index >>> 16) & 0xff, index >>> 24];
const RDMSR = [0x0f, 0x32];
const WRMSR = [0x0f, 0x30];
const HLT = 0xf4;

/** Real mode at 0:CODE with a #GP handler (IVT entry 13 -> 0:GP_HANDLER: hlt). */
async function realModeVm(code: number[], reasons?: number): Promise<{ vm: Vm; vcpu: Vcpu }> {
  const vm = Kvm.open({ spawnVcpu: inlineSpawner }).createVm();
  const host = vm.allocateGuestMemory(0x10000);
  vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: 0x10000, userspaceAddr: host });
  vm.guestView(CODE, code.length).set(code);
  vm.guestView(13 * 4, 4).set([GP_HANDLER & 0xff, GP_HANDLER >> 8, 0, 0]);
  vm.guestView(GP_HANDLER, 1).set([HLT]);
  if (reasons !== undefined) vm.enableCap(Cap.X86_USER_SPACE_MSR, [reasons]);
  const vcpu = await vm.createVcpu(0);
  const sregs = await vcpu.getSregs();
  sregs.cs.base = 0n;
  sregs.cs.selector = 0;
  await vcpu.setSregs(sregs);
  await vcpu.setRegs({ ...(await vcpu.getRegs()), rip: BigInt(CODE), rsp: 0x8000n, rflags: 2n });
  return { vm, vcpu };
}

describe('KVM_CAP_X86_USER_SPACE_MSR', () => {
  it('is reported by KVM_CHECK_EXTENSION; reasons outside INVAL | UNKNOWN | FILTER are EINVAL', () => {
    const kvm = Kvm.open({ spawnVcpu: inlineSpawner });
    expect(kvm.checkExtension(Cap.X86_USER_SPACE_MSR)).toBe(1);
    expect(() => kvm.createVm().enableCap(Cap.X86_USER_SPACE_MSR, [8])).toThrow(KvmError);
  });

  it('without it, RDMSR of an unknown MSR raises #GP(0) in the guest', async () => {
    const { vcpu } = await realModeVm([...movEcx(UNKNOWN_MSR), ...RDMSR, HLT]);
    expect((await vcpu.run()).reason).toBe(ExitReason.HLT);
    expect((await vcpu.getRegs()).rip).toBe(BigInt(GP_HANDLER + 1));
  });

  it('RDMSR of an unknown MSR exits with reason UNKNOWN; the data the VMM gives lands in EDX:EAX', async () => {
    const { vcpu } = await realModeVm([...movEcx(UNKNOWN_MSR), ...RDMSR, HLT], MsrExitReason.UNKNOWN);
    const e = await vcpu.run();
    expect(e.reason).toBe(ExitReason.X86_RDMSR);
    if (e.reason !== ExitReason.X86_RDMSR) return;
    expect(e.msr.index).toBe(UNKNOWN_MSR);
    expect(e.msr.reason).toBe(MsrExitReason.UNKNOWN);
    expect((await vcpu.getRegs()).rip).toBe(BigInt(CODE + 6)); // at the RDMSR
    e.msr.error = 0;
    e.msr.data = 0x1122334455667788n;
    expect((await vcpu.run()).reason).toBe(ExitReason.HLT);
    const r = await vcpu.getRegs();
    expect(r.rax).toBe(0x55667788n);
    expect(r.rdx).toBe(0x11223344n);
    expect(r.rip).toBe(BigInt(CODE + 9)); // after the HLT that follows
  });

  it('WRMSR exits with EDX:EAX in data; error = 1 injects #GP(0) at the WRMSR', async () => {
    // mov eax, 0xcafef00d; mov edx, 0x42; mov ecx, UNKNOWN; wrmsr; hlt
    const code = [0x66, 0xb8, 0x0d, 0xf0, 0xfe, 0xca, 0x66, 0xba, 0x42, 0, 0, 0, ...movEcx(UNKNOWN_MSR), ...WRMSR, HLT];
    const { vm, vcpu } = await realModeVm(code, MsrExitReason.UNKNOWN);
    const e = await vcpu.run();
    expect(e.reason).toBe(ExitReason.X86_WRMSR);
    if (e.reason !== ExitReason.X86_WRMSR) return;
    expect(e.msr.data).toBe(0x42_cafef00dn);
    e.msr.error = 1;
    expect((await vcpu.run()).reason).toBe(ExitReason.HLT);
    expect((await vcpu.getRegs()).rip).toBe(BigInt(GP_HANDLER + 1));
    // The real-mode #GP pushed IP = the WRMSR (SDM Vol. 3A 20.1.4): FLAGS, CS, IP from the top.
    const ip = vm.guestView(0x8000 - 6, 2);
    expect(ip[0] | (ip[1] << 8)).toBe(CODE + 18);
  });

  it('a refused write to an MSR that exists is reason INVAL: it exits only when INVAL is enabled', async () => {
    // mov eax, 2 (PAT entry 0 = type 2, reserved); xor edx, edx; mov ecx, IA32_PAT; wrmsr; hlt
    const code = [0x66, 0xb8, 2, 0, 0, 0, 0x66, 0x31, 0xd2, ...movEcx(IA32_PAT), ...WRMSR, HLT];
    const unknownOnly = await realModeVm(code, MsrExitReason.UNKNOWN);
    expect((await unknownOnly.vcpu.run()).reason).toBe(ExitReason.HLT);
    expect((await unknownOnly.vcpu.getRegs()).rip).toBe(BigInt(GP_HANDLER + 1));
    const inval = await realModeVm(code, MsrExitReason.INVAL);
    const e = await inval.vcpu.run();
    expect(e.reason).toBe(ExitReason.X86_WRMSR);
    if (e.reason !== ExitReason.X86_WRMSR) return;
    expect(e.msr).toMatchObject({ index: IA32_PAT, reason: MsrExitReason.INVAL, data: 2n });
    e.msr.error = 0;
    expect((await inval.vcpu.run()).reason).toBe(ExitReason.HLT);
    expect((await inval.vcpu.getRegs()).rip).toBe(BigInt(CODE + 18));
  });

  it('KVM_GET_MSRS (the host) reads MSRs the guest CPUID hides', async () => {
    const { vcpu } = await realModeVm([HLT]);
    await vcpu.setCpuid2([]); // no LM: IA32_LSTAR does not exist for the guest
    expect(await vcpu.getMsrs([0xc0000082])).toEqual([{ index: 0xc0000082, data: 0n }]);
  });
});
