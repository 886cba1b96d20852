// PCIDs and INVPCID (SDM Vol. 3A 4.10.1, 4.10.4.1; Vol. 2A INVPCID; Vol. 2B MOV CR): when
// CR4.PCIDE may be set, CR3 bit 63 with PCIDs, paging and LA57 that cannot change under them,
// and the four INVPCID types with their #GP(0) and #UD rules.
import { describe, expect, it } from 'vitest';
import { Feature } from '../../core/cpu/cpuid.ts';
import { GuestFault } from '../../core/cpu/faults.ts';
import { Pte } from '../../core/cpu/mmu.ts';
import { Cr0, Cr4, Efer, Reg, Seg, SegAttr, Vector } from '../../core/cpu/registers.ts';
import { invalidatePcid, InvpcidType, writeCr0, writeCr3, writeCr4 } from '../../core/cpu/system-regs.ts';
import { ExitReason } from '../lib/machine.ts';
import { conceal, enterLongMode, pagingVm, setPaging, tlbHolds, type PagingVm } from './paging-lib.ts';
import { runToFault } from './system-lib.ts';

const PML4 = 0x10000;
const PDPT = 0x11000;
const PD = 0x12000;
const PT = 0x13000;
const URW = Pte.P | Pte.RW | Pte.US;
/** Linear 0x200000 (global) and 0x201000 (not global) map 0x300000 and 0x301000. */
const GLOBAL_PAGE = 0x200000;
const LOCAL_PAGE = 0x201000;

/** 4-level paging: 0-2 MiB identity (one 2 MiB page), then PT for 0x200000-0x3fffff. */
function pcidVm(cr4Extra = 0): PagingVm {
  const vm = pagingVm();
  vm.put64(PML4, PDPT | URW);
  vm.put64(PDPT, PD | URW);
  vm.put64(PD, Pte.PS | URW);
  vm.put64(PD + 8, PT | URW);
  vm.put64(PT, 0x300000 | URW | Pte.G);
  vm.put64(PT + 8, 0x301000 | URW);
  enterLongMode(vm, PML4, 0x1000, Cr4.PGE | cr4Extra);
  return vm;
}

const gp = (f: () => void): number | undefined => {
  try {
    f();
  } catch (e) {
    if (e instanceof GuestFault) return e.vector;
    throw e;
  }
  return undefined;
};

describe('CR4.PCIDE (4.10.1; MOV CR #GP(0))', () => {
  it('can be set in IA-32e mode with CR3[11:0] = 0 only', () => {
    const vm = pcidVm();
    const cpu = vm.vcpu.cpu;
    cpu.state.setNum('cr3', PML4 | 5);
    expect(gp(() => writeCr4(cpu, Cr4.PAE | Cr4.PGE | Cr4.PCIDE, 0))).toBe(Vector.GP);
    cpu.state.setNum('cr3', PML4);
    writeCr4(cpu, Cr4.PAE | Cr4.PGE | Cr4.PCIDE, 0);
    expect(cpu.state.getLo('cr4') & Cr4.PCIDE).toBe(Cr4.PCIDE);
  });

  it('cannot be set outside IA-32e mode (PAE paging)', () => {
    const vm = pagingVm();
    vm.put64(0x20000, 0); // four empty PDPTEs
    setPaging(vm, 0x20000, Cr4.PAE);
    expect(gp(() => writeCr4(vm.vcpu.cpu, Cr4.PAE | Cr4.PCIDE, 0))).toBe(Vector.GP);
  });

  it('is #GP(0) when CPUID does not enumerate PCID', () => {
    const vm = pcidVm();
    conceal(vm, Feature.PCID);
    expect(gp(() => writeCr4(vm.vcpu.cpu, Cr4.PAE | Cr4.PCIDE, 0))).toBe(Vector.GP);
  });

  it('with PCIDE, CR0.PG cannot be cleared (in compatibility mode, where it could otherwise)', () => {
    const vm = pcidVm(Cr4.PCIDE);
    const cpu = vm.vcpu.cpu;
    cpu.setSegment(Seg.CS, 8, 0, 0xffffffff, SegAttr.P | SegAttr.S | SegAttr.G | SegAttr.DB | 0xb);
    cpu.refreshMode();
    expect(gp(() => writeCr0(cpu, Cr0.PE | Cr0.ET, 0))).toBe(Vector.GP);
    cpu.state.setLo('cr4', Cr4.PAE);
    writeCr0(cpu, Cr0.PE | Cr0.ET, 0);
    expect(cpu.state.getLo('efer') & Efer.LMA).toBe(0);
  });

  it('CR4.LA57 cannot change in IA-32e mode', () => {
    const vm = pcidVm();
    expect(gp(() => writeCr4(vm.vcpu.cpu, Cr4.PAE | Cr4.PGE | Cr4.LA57, 0))).toBe(Vector.GP);
  });
});

describe('MOV to CR3 with PCIDs (4.10.4.1)', () => {
  it('bit 63 is accepted with CR4.PCIDE and not stored; the PCID in bits 11:0 is', () => {
    const vm = pcidVm(Cr4.PCIDE);
    const cpu = vm.vcpu.cpu;
    writeCr3(cpu, PML4 | 0x123, 0x80000000);
    expect(cpu.state.get64('cr3')).toBe(BigInt(PML4 | 0x123));
  });

  it('bit 63 is reserved without CR4.PCIDE', () => {
    const vm = pcidVm();
    expect(gp(() => writeCr3(vm.vcpu.cpu, PML4, 0x80000000))).toBe(Vector.GP);
    expect(vm.vcpu.cpu.state.get64('cr3')).toBe(BigInt(PML4));
  });
});

describe('INVPCID (Vol. 2A INVPCID)', () => {
  const desc = (pcid: number): [number, number] => [pcid, 0];
  function filled(vm: PagingVm): void {
    vm.vcpu.cpu.read(GLOBAL_PAGE, 4);
    vm.vcpu.cpu.read(LOCAL_PAGE, 4);
    expect([tlbHolds(vm, GLOBAL_PAGE), tlbHolds(vm, LOCAL_PAGE)]).toEqual([true, true]);
  }

  it('type 0 drops the page of one address, global or not', () => {
    const vm = pcidVm(Cr4.PCIDE);
    filled(vm);
    invalidatePcid(vm.vcpu.cpu, InvpcidType.Address, 0, desc(0), [GLOBAL_PAGE, 0]);
    expect([tlbHolds(vm, GLOBAL_PAGE), tlbHolds(vm, LOCAL_PAGE)]).toEqual([false, true]);
  });

  it('types 1 and 3 keep global translations; type 2 drops them too', () => {
    for (const [type, global] of [[InvpcidType.SingleContext, true], [InvpcidType.AllNonGlobal, true], [InvpcidType.AllIncludingGlobal, false]] as const) {
      const vm = pcidVm(Cr4.PCIDE);
      filled(vm);
      invalidatePcid(vm.vcpu.cpu, type, 0, desc(7), [0, 0]);
      expect([tlbHolds(vm, GLOBAL_PAGE), tlbHolds(vm, LOCAL_PAGE)]).toEqual([global, false]);
    }
  });

  it('#GP(0): type above 3, descriptor bits 63:12, a non-canonical type-0 address, a PCID with types 0/1 while PCIDE = 0', () => {
    const vm = pcidVm();
    const cpu = vm.vcpu.cpu;
    expect(gp(() => invalidatePcid(cpu, 4, 0, desc(0), [0, 0]))).toBe(Vector.GP);
    expect(gp(() => invalidatePcid(cpu, 2, 1, desc(0), [0, 0]))).toBe(Vector.GP);
    expect(gp(() => invalidatePcid(cpu, 2, 0, [0x1000, 0], [0, 0]))).toBe(Vector.GP);
    expect(gp(() => invalidatePcid(cpu, 2, 0, [0, 1], [0, 0]))).toBe(Vector.GP);
    expect(gp(() => invalidatePcid(cpu, 0, 0, desc(0), [0, 0x8000]))).toBe(Vector.GP);
    expect(gp(() => invalidatePcid(cpu, 0, 0, desc(1), [0, 0]))).toBe(Vector.GP);
    expect(gp(() => invalidatePcid(cpu, 1, 0, desc(1), [0, 0]))).toBe(Vector.GP);
    expect(gp(() => invalidatePcid(cpu, 3, 0, desc(1), [0, 0]))).toBeUndefined();
    expect(gp(() => invalidatePcid(cpu, 0, 0, desc(0), [0, 0xffff8000]))).toBeUndefined();
  });

  /** invpcid rax, [rbx] (66 0F 38 82 03); hlt. */
  const CODE = [0x66, 0x0f, 0x38, 0x82, 0x03, 0xf4];
  function guest(type: number): PagingVm {
    const vm = pcidVm();
    vm.load(0x1000, CODE);
    vm.setReg(Reg.RAX, type);
    vm.setReg(Reg.RBX, 0x3000);
    return vm;
  }

  it('in a 64-bit guest: type 2 runs; type 4 is #GP(0); CPL 3 is #GP(0); without CPUID.INVPCID #UD', () => {
    const ok = guest(2);
    ok.runExpect(ExitReason.HLT);
    expect(ok.vcpu.cpu.state.getNum('rip')).toBe(0x1006);
    expect(runToFault(guest(4))).toEqual({ vector: Vector.GP, errorCode: 0, rip: 0x1000 });
    const user = guest(2);
    user.vcpu.cpu.state.setU32('cpl', 3);
    user.vcpu.cpu.refreshMode();
    expect(runToFault(user)).toEqual({ vector: Vector.GP, errorCode: 0, rip: 0x1000 });
    const absent = guest(2);
    conceal(absent, Feature.INVPCID);
    expect(runToFault(absent)).toEqual({ vector: Vector.UD, errorCode: 0, rip: 0x1000 });
  });
});
