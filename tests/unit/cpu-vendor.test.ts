// The CPU vendor a VMM chooses through KVM_SET_CPUID2 (QEMU's -cpu ...,vendor=) and what
// follows from it: the identity in CPUID (SDM Vol. 2A CPUID; AMD APM Vol. 3 Appendix E) and
// the system-call instructions that differ between the SDM (Vol. 2B SYSCALL, SYSRET,
// SYSENTER) and the APM (Vol. 3 SYSCALL, SYSRET, SYSENTER). Intel is the default table.
import { describe, expect, it } from 'vitest';
import { parseArgs, parseCpuOption } from '../../cli/args.ts';
import { AMD_SIGNATURE, supportedCpuid, withVendor, type CpuVendor } from '../../core/cpu/cpuid.ts';
import { Msr } from '../../core/cpu/msr.ts';
import { Efer, Flag, Reg, Seg, SegAttr, Vector } from '../../core/cpu/registers.ts';
import { createTestVm, enterFlat32, ExitReason, type TestVm } from '../lib/machine.ts';
import { KCODE, KDATA, MMIO_EXIT32, MMIO_EXIT64, STAR, UCODE, UCODE32, UDATA, codeSize, cpl, enterUser, longModeVm, rip, sel } from './long-mode-guest.ts';
import {
  HANDLER81, IDT, KCODE as KCODE_PM, KDATA as KDATA_PM, UCODE as UCODE_PM, UDATA as UDATA_PM, enterRing3, gate, protectedVm, putDesc, stackDwords,
} from './protection-guest.ts';
import { runToFault } from './system-lib.ts';

const AMD: CpuVendor = 'AuthenticAMD';
const setVendor = (vm: TestVm, vendor: CpuVendor): void => vm.vcpu.setCpuid2(withVendor(supportedCpuid(), vendor));
const setMsr = (vm: TestVm, index: number, value: bigint | number): void => {
  if (!vm.vcpu.msrs.set(index, BigInt(value), true)) throw new Error(`MSR 0x${index.toString(16)} refused`);
};
const reg64 = (vm: TestVm, r: Reg): bigint => vm.vcpu.cpu.state.get64('gpr', r);
const attr = (vm: TestVm, seg: Seg): number => vm.vcpu.cpu.state.getU32('segAttr', seg) & ~SegAttr.UNUSABLE;
const bit = (v: number, n: number): number => (v >>> n) & 1;
/** DR7 bit 10 reads as 1; L0 (bit 0) enables breakpoint 0 (SDM Vol. 3B 18.2.4). */
const DR7_FIXED1 = 1 << 10;
const DR7_L0 = 1;
const vendorString = (r: number[]): string =>
  [r[1], r[3], r[2]].map((x) => String.fromCharCode(x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, x >>> 24)).join('');

/** CPUID as a 32-bit guest executes it, under `vendor`'s table. */
function cpuid(vendor: CpuVendor, leaf: number, subleaf = 0): number[] {
  const vm = createTestVm();
  setVendor(vm, vendor);
  vm.load(0x1000, [0x0f, 0xa2, 0xf4]); // cpuid; hlt
  enterFlat32(vm, 0x1000);
  vm.setReg(Reg.RAX, leaf);
  vm.setReg(Reg.RCX, subleaf);
  vm.runExpect(ExitReason.HLT);
  return [vm.reg(Reg.RAX) >>> 0, vm.reg(Reg.RBX) >>> 0, vm.reg(Reg.RCX) >>> 0, vm.reg(Reg.RDX) >>> 0];
}

describe('CPUID identity by vendor', () => {
  it('leaf 0 and leaf 80000000H: GenuineIntel, or AuthenticAMD in both (APM Vol. 3 E.3.1, E.4.1)', () => {
    expect(vendorString(cpuid('GenuineIntel', 0))).toBe('GenuineIntel');
    expect(cpuid('GenuineIntel', 0x80000000).slice(1)).toEqual([0, 0, 0]); // reserved on Intel
    expect(vendorString(cpuid(AMD, 0))).toBe('AuthenticAMD');
    expect(vendorString(cpuid(AMD, 0x80000000))).toBe('AuthenticAMD');
    expect(cpuid(AMD, 0x80000000)[0]).toBe(cpuid('GenuineIntel', 0x80000000)[0]);
  });

  it('AMD signature: family 1AH (0FH + extended 0BH), model 02H, stepping 1, in leaf 1 and Fn8000_0001_EAX', () => {
    const eax = cpuid(AMD, 1)[0];
    const family = ((eax >>> 8) & 0xf) + ((eax >>> 20) & 0xff);
    const model = (((eax >>> 16) & 0xf) << 4) | ((eax >>> 4) & 0xf);
    expect([family, model, eax & 0xf]).toEqual([0x1a, 0x02, 1]);
    expect(eax).toBe(AMD_SIGNATURE);
    expect(cpuid(AMD, 0x80000001)[0]).toBe(eax);
  });

  it('Fn8000_0001_EDX mirrors leaf 1 EDX bits 0-9, 12-17, 23, 24 on AMD (APM Vol. 3 E.4.2); Intel leaves them 0 (SDM Table 3-8)', () => {
    const mirrored = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16, 17, 23, 24];
    const leaf1 = cpuid(AMD, 1)[3];
    const ext = cpuid(AMD, 0x80000001)[3];
    for (const n of mirrored) expect(bit(ext, n), `EDX[${n}]`).toBe(bit(leaf1, n));
    // SYSCALL (11), NX (20), MmxExt (22), Page1GB (26), RDTSCP (27), LM (29).
    for (const n of [11, 20, 22, 26, 27, 29]) expect(bit(ext, n), `EDX[${n}]`).toBe(1);
    const intel = cpuid('GenuineIntel', 0x80000001)[3];
    for (const n of [...mirrored, 22]) expect(bit(intel, n), `Intel EDX[${n}]`).toBe(0);
  });

  it('a leaf above the maximum: the highest basic leaf on Intel (SDM Vol. 2A CPUID), zeros on AMD (as the AMD host answers)', () => {
    const maxBasic = cpuid('GenuineIntel', 0)[0];
    expect(cpuid('GenuineIntel', 0x20000000)).toEqual(cpuid('GenuineIntel', maxBasic));
    expect(cpuid(AMD, 0x20000000)).toEqual([0, 0, 0, 0]);
    expect(cpuid(AMD, 0x8000ffff)).toEqual([0, 0, 0, 0]);
  });

  it('AMD with 4 cores: Fn8000_0008_ECX NC = 3 (bits 7:0), ApicIdSize = 2 (bits 15:12) (APM Vol. 3 E.4.7); Intel keeps it 0', () => {
    const ecx = (vendor: CpuVendor, cores: number): number | undefined =>
      withVendor(supportedCpuid(), vendor, cores).find((e) => e.function === 0x80000008)?.ecx;
    expect(ecx(AMD, 4)).toBe((2 << 12) | 3);
    expect(ecx(AMD, 1)).toBe(0);
    expect(ecx('GenuineIntel', 4)).toBe(0);
  });

  it('PKS (leaf 7 ECX[31], Intel only) is not offered with AMD', () => {
    expect(bit(cpuid('GenuineIntel', 7)[2], 31)).toBe(1);
    expect(bit(cpuid(AMD, 7)[2], 31)).toBe(0);
  });
});

const CSTAR = 0x7000;
/** Linux's SYSCALL mask: TF DF IF IOPL AC NT. */
const FMASK = Flag.TF | Flag.DF | Flag.IF | Flag.IOPL | Flag.AC | Flag.NT;
const USER_FLAGS = Flag.FIXED1 | Flag.CF | Flag.IF | Flag.DF;
const FLAT_CODE64_DPL0 = SegAttr.P | SegAttr.S | 0xb | SegAttr.L | SegAttr.G;
const FLAT_DATA_DPL0 = SegAttr.P | SegAttr.S | 0x3 | SegAttr.DB | SegAttr.G;

function compatSyscallVm(vendor: CpuVendor): TestVm {
  const vm = longModeVm(0);
  setVendor(vm, vendor);
  setMsr(vm, Msr.STAR, STAR);
  setMsr(vm, Msr.LSTAR, 0x6000);
  setMsr(vm, Msr.CSTAR, CSTAR);
  setMsr(vm, Msr.FMASK, FMASK);
  vm.load(0x10000, [0x0f, 0x05]); // syscall, in compatibility mode
  vm.load(CSTAR, [0xf4]);
  enterUser(vm, 0x10000, UCODE32);
  vm.vcpu.cpu.state.setLo('rflags', USER_FLAGS);
  return vm;
}

describe('SYSCALL and SYSRET by vendor', () => {
  it('AMD: SYSCALL in compatibility mode enters CSTAR in 64-bit ring 0 (APM Vol. 3 SYSCALL)', () => {
    const vm = compatSyscallVm(AMD);
    vm.runExpect(ExitReason.HLT);
    expect([cpl(vm), rip(vm), codeSize(vm), sel(vm, Seg.CS), sel(vm, Seg.SS)]).toEqual([0, BigInt(CSTAR + 1), 8, KCODE, KDATA]);
    expect([attr(vm, Seg.CS), attr(vm, Seg.SS)]).toEqual([FLAT_CODE64_DPL0, FLAT_DATA_DPL0]);
    expect([reg64(vm, Reg.RCX), reg64(vm, Reg.R11)]).toEqual([0x10002n, BigInt(USER_FLAGS)]);
    expect(vm.flags()).toBe(USER_FLAGS & ~FMASK);
  });

  it('Intel: SYSCALL in compatibility mode is #UD (SDM Vol. 2B SYSCALL)', () => {
    const vm = compatSyscallVm('GenuineIntel');
    expect(runToFault(vm)).toMatchObject({ vector: Vector.UD, rip: 0x10000 });
    expect(cpl(vm)).toBe(3);
  });

  it('AMD: SYSRETQ changes only the SS selector; base, limit and attributes stay (APM Vol. 3 SYSRET)', () => {
    const vm = longModeVm(0x4000);
    setVendor(vm, AMD);
    setMsr(vm, Msr.STAR, STAR);
    vm.load(0x4000, [0x48, 0x0f, 0x07]); // o64 sysret
    vm.load(0x10000, MMIO_EXIT64);
    vm.vcpu.cpu.state.set64('gpr', 0x10000n, Reg.RCX);
    vm.vcpu.cpu.state.set64('gpr', BigInt(USER_FLAGS | Flag.RF), Reg.R11);
    const before = [vm.vcpu.cpu.state.getU32('segAttr', Seg.SS), vm.vcpu.cpu.state.getU32('segLimit', Seg.SS)];
    vm.runExpect(ExitReason.MMIO);
    expect([cpl(vm), rip(vm), codeSize(vm), sel(vm, Seg.CS), sel(vm, Seg.SS)]).toEqual([3, 0x10005n, 8, UCODE, UDATA]); // at the store after mov eax
    expect([vm.vcpu.cpu.state.getU32('segAttr', Seg.SS), vm.vcpu.cpu.state.getU32('segLimit', Seg.SS)]).toEqual(before);
    expect(vm.flags()).toBe(USER_FLAGS);
    // KVM_GET_SREGS reports SS.DPL as the CPL, as KVM on AMD does, so SET_SREGS keeps CPL 3.
    const sregs = vm.vcpu.getSregs();
    expect(sregs.ss.dpl).toBe(3);
    vm.vcpu.setSregs(sregs);
    expect(cpl(vm)).toBe(3);
  });

  // Legacy mode: STAR[31:0] is the target EIP; SYSCALL CS/SS = 0x08/0x10, SYSRET CS/SS = 0x1b/0x23.
  const LEGACY_TARGET = 0x5800;
  const LEGACY_STAR = (0x18n << 48n) | (BigInt(KCODE_PM) << 32n) | BigInt(LEGACY_TARGET);

  function legacyVm(vendor: CpuVendor): TestVm {
    const vm = protectedVm(0);
    setVendor(vm, vendor);
    setMsr(vm, Msr.STAR, LEGACY_STAR);
    vm.vcpu.cpu.state.setLo('efer', Efer.SCE);
    vm.load(0x6000, [0x0f, 0x05, ...MMIO_EXIT32]); // syscall; mov [0x10000000], al
    vm.load(LEGACY_TARGET, [0xf4, 0x0f, 0x07]); // hlt; sysret
    enterRing3(vm, 0x6000);
    vm.vcpu.cpu.state.setLo('rflags', USER_FLAGS | Flag.RF);
    vm.setReg(Reg.R11, 0x1111);
    return vm;
  }

  it('AMD: legacy-mode SYSCALL enters STAR[31:0] with ECX = next EIP, clears IF and RF; SYSRET returns with IF set', () => {
    const vm = legacyVm(AMD);
    vm.runExpect(ExitReason.HLT);
    expect([cpl(vm), rip(vm), codeSize(vm), sel(vm, Seg.CS), sel(vm, Seg.SS)]).toEqual([0, BigInt(LEGACY_TARGET + 1), 4, KCODE_PM, KDATA_PM]);
    expect(attr(vm, Seg.CS)).toBe(SegAttr.P | SegAttr.S | 0xb | SegAttr.DB | SegAttr.G);
    expect(attr(vm, Seg.SS)).toBe(FLAT_DATA_DPL0);
    expect([vm.reg(Reg.RCX), vm.reg(Reg.R11)]).toEqual([0x6002, 0x1111]); // R11 is not written outside long mode
    expect(vm.flags()).toBe(USER_FLAGS & ~(Flag.IF | Flag.RF));
    vm.vcpu.cpu.state.setLo('rflags', Flag.FIXED1 | Flag.CF);
    vm.runExpect(ExitReason.MMIO);
    expect([cpl(vm), rip(vm), sel(vm, Seg.CS), sel(vm, Seg.SS)]).toEqual([3, 0x6002n, UCODE_PM, UDATA_PM]);
    expect(vm.flags()).toBe(Flag.FIXED1 | Flag.CF | Flag.IF);
  });

  it('Intel: legacy-mode SYSCALL is #UD', () => {
    const vm = legacyVm('GenuineIntel');
    expect(runToFault(vm)).toMatchObject({ vector: Vector.UD, rip: 0x6000 });
  });
});

describe('SYSENTER and the SYSENTER MSRs by vendor', () => {
  function sysenter64(vendor: CpuVendor): TestVm {
    const vm = longModeVm(0x4000);
    setVendor(vm, vendor);
    setMsr(vm, Msr.SYSENTER_CS, KCODE);
    setMsr(vm, Msr.SYSENTER_ESP, 0x9800);
    setMsr(vm, Msr.SYSENTER_EIP, 0x5800);
    vm.load(0x4000, [0x0f, 0x34]); // sysenter, in 64-bit mode
    vm.load(0x5800, [0xf4]);
    return vm;
  }

  it('Intel: SYSENTER in 64-bit mode enters SYSENTER_EIP in 64-bit ring 0 (SDM Vol. 2B SYSENTER)', () => {
    const vm = sysenter64('GenuineIntel');
    vm.runExpect(ExitReason.HLT);
    expect([cpl(vm), rip(vm), codeSize(vm), sel(vm, Seg.CS), reg64(vm, Reg.RSP)]).toEqual([0, 0x5801n, 8, KCODE, 0x9800n]);
  });

  it('AMD: SYSENTER in 64-bit and in compatibility mode, and SYSEXIT in 64-bit mode, are #UD (APM Vol. 3 SYSENTER, SYSEXIT)', () => {
    expect(runToFault(sysenter64(AMD))).toMatchObject({ vector: Vector.UD, rip: 0x4000 });
    const compat = sysenter64(AMD);
    compat.load(0x10000, [0x0f, 0x34]);
    enterUser(compat, 0x10000, UCODE32);
    expect(runToFault(compat)).toMatchObject({ vector: Vector.UD, rip: 0x10000 });
    const exit = sysenter64(AMD);
    exit.load(0x4000, [0x48, 0x0f, 0x35]); // o64 sysexit
    expect(runToFault(exit)).toMatchObject({ vector: Vector.UD, rip: 0x4000 });
  });

  it('SYSENTER_ESP/EIP: Intel keeps 64 bits and refuses a non-canonical value; AMD keeps bits 31:0 (KVM svm_set_msr)', () => {
    const intel = sysenter64('GenuineIntel');
    expect(intel.vcpu.msrs.set(Msr.SYSENTER_EIP, 0x0000_1234_5678_9abcn, false)).toBe(true);
    expect(intel.vcpu.msrs.get(Msr.SYSENTER_EIP)).toBe(0x0000_1234_5678_9abcn);
    expect(intel.vcpu.msrs.set(Msr.SYSENTER_EIP, 0x8000_0000_0000_0000n, false)).toBe(false);
    const amd = sysenter64(AMD);
    for (const m of [Msr.SYSENTER_ESP, Msr.SYSENTER_EIP]) {
      expect(amd.vcpu.msrs.set(m, 0x0000_1234_5678_9abcn, false)).toBe(true);
      expect(amd.vcpu.msrs.get(m)).toBe(0x5678_9abcn);
      expect(amd.vcpu.msrs.set(m, 0x8000_0000_0000_0001n, false)).toBe(true);
      expect(amd.vcpu.msrs.get(m)).toBe(1n);
    }
  });
});

describe('debug by vendor', () => {
  it('a code breakpoint right after MOV SS: inhibited on Intel (SDM Vol. 3A 6.8.3), taken on AMD (kvm-unit-tests emulator.c)', () => {
    for (const vendor of ['GenuineIntel', AMD] as const) {
      const vm = protectedVm(0x4000);
      setVendor(vm, vendor);
      putDesc(vm, IDT + Vector.DB * 8, gate(KCODE_PM, HANDLER81, 0xe, 0)); // HANDLER81: hlt
      vm.load(0x4000, [0x8c, 0xd0, 0x8e, 0xd0, 0x90, 0xf4]); // mov eax, ss; mov ss, eax; nop (DR0); hlt
      vm.vcpu.cpu.state.setLo('dr', 0x4004, 0);
      vm.vcpu.cpu.state.setLo('dr', DR7_FIXED1 | DR7_L0, 7); // L0, R/W0 = 00B (execute), LEN0 = 00B
      vm.runExpect(ExitReason.HLT);
      expect([vendor, rip(vm)]).toEqual([vendor, vendor === AMD ? BigInt(HANDLER81 + 1) : 0x4006n]);
      if (vendor === AMD) expect(stackDwords(vm, 1)).toEqual([0x4004]); // a fault: EIP of the NOP
    }
  });
});

describe('MSRs by vendor', () => {
  it('AMD-only MSRs: PerfEvtSel0-3/PerfCtr0-3 and NB_CFG read 0 and drop writes; SYSCFG reads 0; HWCR.TscFreqSel = 1; none exist on Intel', () => {
    const intel = createTestVm();
    const amd = createTestVm();
    setVendor(amd, AMD);
    const dropWrites = [0xc0010000, 0xc0010003, 0xc0010004, 0xc0010007, 0xc001001f];
    for (const index of [...dropWrites, 0xc0010010, 0xc0010015]) expect(intel.vcpu.msrs.get(index), index.toString(16)).toBeUndefined();
    for (const index of dropWrites) {
      expect(amd.vcpu.msrs.set(index, 0x1234n, false)).toBe(true);
      expect(amd.vcpu.msrs.get(index)).toBe(0n);
    }
    expect(amd.vcpu.msrs.get(0xc0010010)).toBe(0n);
    expect(amd.vcpu.msrs.get(0xc0010015)).toBe(1n << 24n);
    expect(amd.vcpu.msrs.set(0xc0010015, 1n << 30n, false)).toBe(false); // a reserved HWCR bit: #GP(0)
  });

  it('TSC_AUX: Intel refuses bits 63:32 (SDM Vol. 4 Table 2-2); AMD drops them (KVM __kvm_set_msr)', () => {
    const intel = createTestVm();
    expect(intel.vcpu.msrs.set(Msr.TSC_AUX, 0x1_0000_0002n, false)).toBe(false);
    const amd = createTestVm();
    setVendor(amd, AMD);
    expect(amd.vcpu.msrs.set(Msr.TSC_AUX, 0x1_0000_0002n, false)).toBe(true);
    expect(amd.vcpu.msrs.get(Msr.TSC_AUX)).toBe(2n);
  });
});

describe('--cpu, shaped like QEMU -cpu properties', () => {
  it('vendor=AuthenticAMD and vendor=GenuineIntel parse; the default is no property', () => {
    expect(parseCpuOption('vendor=AuthenticAMD')).toEqual({ vendor: 'AuthenticAMD' });
    expect(parseCpuOption('vendor=GenuineIntel')).toEqual({ vendor: 'GenuineIntel' });
    const run = parseArgs(['run', '--kernel', 'k', '--cpu', 'vendor=AuthenticAMD']);
    expect(run.ok && run.command === 'run' && run.options.cpu).toEqual({ vendor: 'AuthenticAMD' });
    const plain = parseArgs(['run', '--kernel', 'k']);
    expect(plain.ok && plain.command === 'run' && plain.options.cpu).toEqual({});
  });

  it('another vendor, an unknown property or a feature flag is an error that says what is supported', () => {
    expect(parseCpuOption('vendor=HygonGenuine')).toMatch(/vendor "HygonGenuine" is not supported \(GenuineIntel or AuthenticAMD\)/);
    expect(parseCpuOption('family=25')).toMatch(/unknown property "family=25"/);
    expect(parseCpuOption('vendor=AuthenticAMD,+pku')).toMatch(/unknown property "\+pku"/);
    const r = parseArgs(['run', '--kernel', 'k', '--cpu=vendor=Cyrix']);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/--cpu vendor=Cyrix/);
  });
});
