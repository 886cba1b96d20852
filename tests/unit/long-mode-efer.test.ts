// IA32_EFER and IA-32e mode activation (SDM Vol. 3A 2.2.1, 10.8.5; Vol. 2B MOV CR, WRMSR),
// with KVM's rules for EFER writes (arch/x86/kvm/x86.c set_efer): bits the guest's CPUID does
// not enumerate are reserved, LME cannot change while paging is on, LMA is read-only.
import { describe, expect, it } from 'vitest';
import { CpuidExt1Edx, Feature } from '../../core/cpu/cpuid.ts';
import { Msr } from '../../core/cpu/msr.ts';
import { PagingMode, Pte } from '../../core/cpu/mmu.ts';
import { Cr0, Cr4, Efer, Reg, Vector } from '../../core/cpu/registers.ts';
import { enterFlat32, ExitReason } from '../lib/machine.ts';
import { advertise, pagingVm, runToException, type PagingVm } from './paging-lib.ts';

const PML4 = 0x10000;
const PDPT = 0x11000;
const PD = 0x12000;

describe('EFER write rules', () => {
  it('SCE and NXE are writable; LME needs CPUID LM, here hidden by the VMM', () => {
    const vm = pagingVm();
    vm.vcpu.setCpuid2(vm.vcpu.cpuid.getEntries().map((e) => (e.function === 0x80000001 ? { ...e, edx: e.edx & ~CpuidExt1Edx.LM } : e)));
    const msrs = vm.vcpu.msrs;
    expect(msrs.set(Msr.EFER, BigInt(Efer.SCE | Efer.NXE), false)).toBe(true);
    expect(msrs.get(Msr.EFER)).toBe(BigInt(Efer.SCE | Efer.NXE));
    expect(msrs.set(Msr.EFER, BigInt(Efer.LME), false)).toBe(false);
    expect(msrs.set(Msr.EFER, 1n << 2n, false)).toBe(false); // reserved
    expect(msrs.set(Msr.EFER, 1n << 32n, false)).toBe(false);
    expect(msrs.get(Msr.EFER)).toBe(BigInt(Efer.SCE | Efer.NXE));
  });

  it('with CPUID LM: LME is writable, a written LMA is ignored', () => {
    const vm = pagingVm();
    advertise(vm, Feature.LM);
    expect(vm.vcpu.msrs.set(Msr.EFER, BigInt(Efer.LME | Efer.LMA), false)).toBe(true);
    expect(vm.vcpu.msrs.get(Msr.EFER)).toBe(BigInt(Efer.LME));
  });

  it('NXE is reserved when the VMM hides NX', () => {
    const vm = pagingVm();
    vm.vcpu.setCpuid2(vm.vcpu.cpuid.getEntries().map((e) => (e.function === 0x80000001 ? { ...e, edx: 0 } : e)));
    expect(vm.vcpu.msrs.set(Msr.EFER, BigInt(Efer.NXE), false)).toBe(false);
  });

  it('the host (KVM_SET_MSRS) skips the CPUID check but cannot set LMA either', () => {
    const vm = pagingVm();
    expect(vm.vcpu.msrs.set(Msr.EFER, BigInt(Efer.LME | Efer.LMA), true)).toBe(true);
    expect(vm.vcpu.cpu.state.getLo('efer')).toBe(Efer.LME);
  });
});

describe('IA-32e mode activation through CR0.PG (10.8.5)', () => {
  /** LM advertised; PML4 -> PDPT -> PD identity-maps the first 2 MiB; flat 32-bit protected mode at 0x1000. */
  function vm(code: number[]): PagingVm {
    const v = pagingVm();
    advertise(v, Feature.LM);
    v.put64(PML4, PDPT | Pte.P | Pte.RW);
    v.put64(PDPT, PD | Pte.P | Pte.RW);
    v.put64(PD, 0 | Pte.PS | Pte.P | Pte.RW);
    v.load(0x1000, code);
    enterFlat32(v, 0x1000);
    return v;
  }
  const SET_PAE = [0xb8, 0x20, 0x00, 0x00, 0x00, 0x0f, 0x22, 0xe0]; //   mov eax, 0x20; mov cr4, eax
  const SET_CR3 = [0xb8, 0x00, 0x00, 0x01, 0x00, 0x0f, 0x22, 0xd8]; //   mov eax, PML4; mov cr3, eax
  const SET_LME = [0xb9, 0x80, 0x00, 0x00, 0xc0, 0x0f, 0x32, 0x0d, 0x00, 0x01, 0x00, 0x00, 0x0f, 0x30]; // mov ecx, EFER; rdmsr; or eax, LME; wrmsr
  const SET_PG = [0x0f, 0x20, 0xc0, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f, 0x22, 0xc0]; // mov eax, cr0; or eax, PG; mov cr0, eax
  const READ_EFER = [0x0f, 0x32]; // rdmsr (ECX = EFER)

  it('setting CR0.PG with EFER.LME and CR4.PAE sets EFER.LMA; code goes on in compatibility mode', () => {
    const v = vm([...SET_PAE, ...SET_CR3, ...SET_LME, ...SET_PG, ...READ_EFER, 0xf4]);
    v.runExpect(ExitReason.HLT);
    expect(v.reg(Reg.RAX)).toBe(Efer.LME | Efer.LMA);
    expect(v.vcpu.cpu.codeSize()).toBe(4);
    expect(v.vcpu.cpu.mmu.pagingMode()).toBe(PagingMode.Level4);
  });

  it('setting CR0.PG with EFER.LME but without CR4.PAE is #GP(0); nothing changes', () => {
    const v = vm([...SET_CR3, ...SET_LME, ...SET_PG, 0xf4]);
    const movCr0 = 0x1000 + SET_CR3.length + SET_LME.length + 8;
    expect(runToException(v)).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: movCr0 });
    expect(v.vcpu.cpu.state.getLo('cr0') & Cr0.PG).toBe(0);
    expect(v.vcpu.cpu.state.getLo('efer')).toBe(Efer.LME);
  });

  it('in IA-32e mode CR4.PAE cannot be cleared and EFER.LME cannot change (#GP(0))', () => {
    const clearPae = vm([...SET_PAE, ...SET_CR3, ...SET_LME, ...SET_PG, 0x31, 0xc0, 0x0f, 0x22, 0xe0, 0xf4]); // xor eax, eax; mov cr4, eax
    expect(runToException(clearPae)).toMatchObject({ vector: Vector.GP, errorCode: 0 });
    expect(clearPae.vcpu.cpu.state.getLo('cr4')).toBe(Cr4.PAE);
    const clearLme = vm([...SET_PAE, ...SET_CR3, ...SET_LME, ...SET_PG, 0x31, 0xc0, 0x31, 0xd2, 0x0f, 0x30, 0xf4]); // xor eax, eax; xor edx, edx; wrmsr
    expect(runToException(clearLme)).toMatchObject({ vector: Vector.GP, errorCode: 0 });
    expect(clearLme.vcpu.cpu.state.getLo('efer')).toBe(Efer.LME | Efer.LMA);
  });

  it('clearing CR0.PG in compatibility mode leaves IA-32e mode: LMA = 0, LME stays', () => {
    const v = vm([
      ...SET_PAE, ...SET_CR3, ...SET_LME, ...SET_PG,
      0x0f, 0x20, 0xc0, 0x25, 0xff, 0xff, 0xff, 0x7f, 0x0f, 0x22, 0xc0, // mov eax, cr0; and eax, ~PG; mov cr0, eax
      ...READ_EFER, 0xf4,
    ]);
    v.runExpect(ExitReason.HLT);
    expect(v.reg(Reg.RAX)).toBe(Efer.LME);
    expect(v.vcpu.cpu.mmu.pagingMode()).toBe(PagingMode.Off);
  });
});
