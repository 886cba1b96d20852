// The MSRs Linux touches (SDM Vol. 4 Table 2-2; KVM's handling in arch/x86/kvm/x86.c and
// mtrr.c): reset values, write masks, memory-type checks, canonical-address checks, FS/GS
// base MSRs that are the segment bases, and MSRs that exist only with their CPUID feature.
import { describe, expect, it } from 'vitest';
import { Feature, supportedCpuid, type CpuidFeature } from '../../core/cpu/cpuid.ts';
import { Msr, MSRS } from '../../core/cpu/msr.ts';
import { Reg, Seg } from '../../core/cpu/registers.ts';
import { createTestVm, enterFlat32, ExitReason } from '../lib/machine.ts';
import { advertise } from './paging-lib.ts';

/** The features whose MSRs these tests switch on and off. */
const GATING: readonly CpuidFeature[] = [Feature.LM, Feature.RDTSCP, Feature.RDPID];

/** A vCPU whose CPUID has none of GATING but `features` (KVM_SET_CPUID2). */
function msrs(...features: Parameters<typeof advertise>[1][]) {
  const vm = createTestVm();
  const entries = vm.vcpu.cpuid.getEntries();
  for (const f of GATING) {
    const e = entries.find((x) => x.function === f.leaf && x.index === (f.subleaf ?? 0));
    const reg = (['eax', 'ebx', 'ecx', 'edx'] as const)[f.reg];
    if (e) e[reg] = (e[reg] & ~f.bit) >>> 0;
  }
  vm.vcpu.setCpuid2(entries);
  if (features.length) advertise(vm, ...features);
  return { vm, m: vm.vcpu.msrs };
}

describe('FS_BASE, GS_BASE, KERNEL_GS_BASE (need CPUID LM)', () => {
  it('FS_BASE and GS_BASE are the FS and GS segment bases; non-canonical values are #GP', () => {
    const { vm, m } = msrs(Feature.LM);
    const s = vm.vcpu.cpu.state;
    expect(m.set(Msr.FS_BASE, 0x0000_1234_5678_9abcn, false)).toBe(true);
    expect(s.get64('segBase', Seg.FS)).toBe(0x0000_1234_5678_9abcn);
    expect(m.set(Msr.GS_BASE, 0xffff_8000_0000_1000n, false)).toBe(true);
    expect(s.get64('segBase', Seg.GS)).toBe(0xffff_8000_0000_1000n);
    s.set64('segBase', 0x4000n, Seg.FS);
    expect(m.get(Msr.FS_BASE)).toBe(0x4000n);
    for (const index of [Msr.FS_BASE, Msr.GS_BASE, Msr.KERNEL_GS_BASE, Msr.LSTAR, Msr.CSTAR])
      expect(m.set(index, 0x0000_8000_0000_0000n, false)).toBe(false);
    expect(s.get64('segBase', Seg.GS)).toBe(0xffff_8000_0000_1000n);
  });

  it('a guest WRMSR to FS_BASE moves what FS: addresses', () => {
    const { vm } = msrs(Feature.LM);
    vm.ram.set([0x78, 0x56, 0x34, 0x12], 0x3010);
    // mov ecx, FS_BASE; mov eax, 0x3000; xor edx, edx; wrmsr; mov eax, fs:[0x10]; hlt
    vm.load(0x1000, [0xb9, 0x00, 0x01, 0x00, 0xc0, 0xb8, 0x00, 0x30, 0x00, 0x00, 0x31, 0xd2, 0x0f, 0x30, 0x64, 0xa1, 0x10, 0x00, 0x00, 0x00, 0xf4]);
    enterFlat32(vm, 0x1000);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(Reg.RAX)).toBe(0x12345678);
  });

  it('without LM the 64-bit MSRs do not exist for the guest (#GP), but the host still sees them', () => {
    const { m } = msrs();
    for (const index of [Msr.STAR, Msr.LSTAR, Msr.CSTAR, Msr.FMASK, Msr.FS_BASE, Msr.GS_BASE, Msr.KERNEL_GS_BASE]) {
      expect(m.get(index)).toBeUndefined();
      expect(m.set(index, 0n, false)).toBe(false);
      expect(m.get(index, true)).toBe(0n);
    }
  });

  it('STAR takes any value, FMASK only bits 31:0', () => {
    const { m } = msrs(Feature.LM);
    expect(m.set(Msr.STAR, 0x0023_0010_0000_0000n, false)).toBe(true);
    expect(m.get(Msr.STAR)).toBe(0x0023_0010_0000_0000n);
    expect(m.set(Msr.FMASK, 0x4_0000_0000n, false)).toBe(false);
    expect(m.set(Msr.FMASK, 0x47700n, false)).toBe(true);
  });
});

describe('IA32_PAT (SDM Vol. 3A 13.12.2)', () => {
  it('resets to 0x0007040600070406 and takes only the memory types 0, 1, 4, 5, 6, 7 in each byte', () => {
    const { m } = msrs();
    expect(m.get(Msr.PAT)).toBe(0x0007040600070406n);
    expect(m.set(Msr.PAT, 0x0007040600070402n, false)).toBe(false); // type 2 is reserved
    expect(m.set(Msr.PAT, 0x0007040600070408n, false)).toBe(false); // bits 7:3 of an entry are reserved
    expect(m.set(Msr.PAT, 0x0007010600070407n, false)).toBe(true);
    expect(m.get(Msr.PAT)).toBe(0x0007010600070407n);
  });
});

describe('MTRRs as KVM reports them (SDM Vol. 3A 13.11)', () => {
  it('MTRRCAP: 8 variable ranges, fixed ranges and WC; read-only', () => {
    const { m } = msrs();
    expect(m.get(Msr.MTRRCAP)).toBe(0x508n);
    expect(m.set(Msr.MTRRCAP, 0x508n, false)).toBe(false);
  });

  it('MTRRdefType: type, FE and E only; a valid memory type', () => {
    const { m } = msrs();
    expect(m.get(Msr.MTRR_DEF_TYPE)).toBe(0n);
    expect(m.set(Msr.MTRR_DEF_TYPE, 0xc06n, false)).toBe(true);
    expect(m.set(Msr.MTRR_DEF_TYPE, 0x1006n, false)).toBe(false);
    expect(m.set(Msr.MTRR_DEF_TYPE, 0x802n, false)).toBe(false);
  });

  it('variable and fixed ranges check memory types, reserved bits and MAXPHYADDR', () => {
    const { m } = msrs();
    const base7 = Msr.MTRR_PHYS_BASE0 + 14;
    expect(m.set(base7, 0x8_0000_0006n, false)).toBe(true);
    expect(m.set(base7, 0x8_0000_0003n, false)).toBe(false); // type 3 is reserved
    expect(m.set(base7, 0x100n, false)).toBe(false); // bits 11:8
    expect(m.set(base7 + 1, 0xf_ffff_f800n, false)).toBe(true); // V + mask bits 35:12
    expect(m.set(base7 + 1, 0x10_0000_0800n, false)).toBe(false); // bit 36 is above MAXPHYADDR
    expect(m.set(Msr.MTRR_FIX_4K_C0000 + 7, 0x0606060606060500n, false)).toBe(true);
    expect(m.set(Msr.MTRR_FIX_16K_A0000, 0x0606060606060607n, false)).toBe(false); // 7 (UC-) is a PAT type only
  });
});

describe('IA32_MISC_ENABLE, IA32_UCODE_REV, SYSENTER, TSC_AUX', () => {
  it('MISC_ENABLE resets with BTS and PEBS unavailable, which the guest cannot change; EMON writes are ignored', () => {
    const { m } = msrs();
    expect(m.get(Msr.MISC_ENABLE)).toBe(0x1800n);
    expect(m.set(Msr.MISC_ENABLE, 0x4_00c5_1889n, false)).toBe(true);
    expect(m.get(Msr.MISC_ENABLE)).toBe(0x4_00c5_1809n);
    expect(m.set(Msr.MISC_ENABLE, 0x0001n, false)).toBe(false);
    expect(m.set(Msr.MISC_ENABLE, 0x1802n, false)).toBe(false); // bit 1 is reserved
    expect(m.set(Msr.MISC_ENABLE, 0n, true)).toBe(true); // the host may
  });

  it('UCODE_REV reads revision 1 in bits 63:32; guest writes are accepted and change nothing', () => {
    const { m } = msrs();
    expect(m.get(Msr.UCODE_REV)).toBe(0x1_0000_0000n);
    expect(m.set(Msr.UCODE_REV, 0n, false)).toBe(true);
    expect(m.get(Msr.UCODE_REV)).toBe(0x1_0000_0000n);
  });

  it('SYSENTER_ESP and SYSENTER_EIP must be canonical', () => {
    const { m } = msrs();
    expect(m.set(Msr.SYSENTER_CS, 0x10n, false)).toBe(true);
    expect(m.set(Msr.SYSENTER_EIP, 0xc000_1000n, false)).toBe(true);
    expect(m.get(Msr.SYSENTER_EIP)).toBe(0xc000_1000n);
    expect(m.set(Msr.SYSENTER_ESP, 0x8000_0000_0000_0000n, false)).toBe(false);
  });

  it('TSC_AUX exists with RDTSCP (or RDPID) and holds 32 bits', () => {
    expect(msrs().m.get(Msr.TSC_AUX)).toBeUndefined();
    const { m } = msrs(Feature.RDTSCP);
    expect(m.set(Msr.TSC_AUX, 7n, false)).toBe(true);
    expect(m.get(Msr.TSC_AUX)).toBe(7n);
    expect(m.set(Msr.TSC_AUX, 1n << 32n, false)).toBe(false);
  });

  it('a guest RDMSR of UCODE_REV and PAT returns EDX:EAX', () => {
    const vm = createTestVm();
    // mov ecx, 0x8b; rdmsr; mov ebx, edx; mov ecx, 0x277; rdmsr; hlt
    vm.load(0x1000, [0xb9, 0x8b, 0, 0, 0, 0x0f, 0x32, 0x89, 0xd3, 0xb9, 0x77, 0x02, 0, 0, 0x0f, 0x32, 0xf4]);
    enterFlat32(vm, 0x1000);
    vm.runExpect(ExitReason.HLT);
    expect([vm.reg(Reg.RBX), vm.reg(Reg.RDX), vm.reg(Reg.RAX)]).toEqual([1, 0x00070406, 0x00070406]);
  });
});

describe('the MSR list and CPUID', () => {
  it('lists each index once and leaves APIC_BASE out (no local APIC yet)', () => {
    const indices = MSRS.map((m) => m.index);
    expect(new Set(indices).size).toBe(indices.length);
    expect(indices).not.toContain(0x1b);
    for (const i of [Msr.EFER, Msr.STAR, Msr.LSTAR, Msr.CSTAR, Msr.FMASK, Msr.FS_BASE, Msr.GS_BASE, Msr.KERNEL_GS_BASE, Msr.TSC_AUX, Msr.PAT])
      expect(indices).toContain(i);
  });

  it('CPUID advertises PAE PGE PAT PSE-36 MTRR, NX, LM and SYSCALL, family 6', () => {
    const leaf1 = supportedCpuid().find((e) => e.function === 1)!;
    const ext1 = supportedCpuid().find((e) => e.function === 0x80000001)!;
    expect((leaf1.eax >> 8) & 0xf).toBe(6);
    for (const bit of [6, 13, 16, 17, 12]) expect((leaf1.edx >>> bit) & 1, `CPUID.01H:EDX[${bit}]`).toBe(1);
    expect((ext1.edx >>> 20) & 1).toBe(1);
    expect((ext1.edx >>> 29) & 1).toBe(1);
    expect((ext1.edx >>> 11) & 1).toBe(1);
  });
});
