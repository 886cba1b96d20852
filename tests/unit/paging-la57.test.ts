// 5-level paging (SDM Vol. 3A 4.5): CR4.LA57 in IA-32e mode adds a PML5 table indexed by
// linear bits 56:48; addresses are canonical over 57 bits (bits 63:57 equal bit 56); PS is
// reserved in a PML5E; CR4.LA57 can be changed only outside IA-32e mode (Vol. 2B MOV CR).
import { describe, expect, it } from 'vitest';
import { Feature } from '../../core/cpu/cpuid.ts';
import { PfErr, Pte } from '../../core/cpu/mmu.ts';
import { Cr4, Efer, Vector } from '../../core/cpu/registers.ts';
import { writeCr4 } from '../../core/cpu/system-regs.ts';
import { advertise, faultVector, pageFault, pagingVm, setPaging, translate, type PagingVm } from './paging-lib.ts';

const PML5 = 0x10000;
const PML4 = 0x11000;
const PML4_HIGH = 0x12000;
const PDPT = 0x13000;
const PD = 0x14000;
const PDPT_HIGH = 0x15000;
const PD_HIGH = 0x16000;
const URW = Pte.P | Pte.RW | Pte.US;
/** 2^48: PML5 index 1, everything else 0. */
const ABOVE_48 = 2 ** 48;

/** PML5E 0 and 1 -> PML4 tables whose entry 0 -> PDPT -> PD -> 2 MiB pages at 0x200000 and 0x400000. */
function la57Vm(): PagingVm {
  const vm = pagingVm();
  vm.put64(PML5, PML4 | URW);
  vm.put64(PML5 + 8, PML4_HIGH | URW);
  vm.put64(PML4, PDPT | URW);
  vm.put64(PML4_HIGH, PDPT_HIGH | URW);
  vm.put64(PDPT, PD | URW);
  vm.put64(PDPT_HIGH, PD_HIGH | URW);
  vm.put64(PD, 0x200000 | Pte.PS | URW);
  vm.put64(PD_HIGH, 0x400000 | Pte.PS | URW);
  setPaging(vm, PML5, Cr4.PAE | Cr4.LA57, Efer.LME | Efer.LMA);
  return vm;
}

describe('5-level translation (4.5)', () => {
  it('walks PML5E, PML4E, PDPTE and PDE; linear bits 56:48 select the PML5E', () => {
    const vm = la57Vm();
    expect(translate(vm, 0x12345)).toBe(0x212345);
    expect(translate(vm, ABOVE_48 + 0x12345)).toBe(0x412345);
    for (const e of [PML5 + 8, PML4_HIGH, PDPT_HIGH, PD_HIGH]) expect(vm.get64lo(e) & Pte.A).toBe(Pte.A);
  });

  it('57-bit canonical addresses: 2^48 is fine (not under 4-level paging); 2^56 is #GP(0)', () => {
    const vm = la57Vm();
    expect(faultVector(() => translate(vm, 2 ** 56))).toBe(Vector.GP);
    const four = la57Vm();
    four.vcpu.cpu.state.setLo('cr4', Cr4.PAE);
    four.vcpu.cpu.mmu.flush();
    expect(faultVector(() => translate(four, ABOVE_48))).toBe(Vector.GP);
  });

  it('PS in a PML5E is a reserved-bit fault', () => {
    const vm = la57Vm();
    vm.put64(PML5, PML4 | URW | Pte.PS);
    expect(pageFault(() => translate(vm, 0x1000))?.code).toBe(PfErr.P | PfErr.RSVD);
  });
});

describe('CR4.LA57 (2.5; MOV CR #GP(0))', () => {
  it('can be set outside IA-32e mode once CPUID enumerates LA57, and not before', () => {
    const vm = pagingVm();
    const cpu = vm.vcpu.cpu;
    expect(faultVector(() => writeCr4(cpu, Cr4.LA57, 0))).toBe(Vector.GP);
    advertise(vm, Feature.LA57);
    writeCr4(cpu, Cr4.LA57, 0);
    expect(cpu.state.getLo('cr4')).toBe(Cr4.LA57);
  });

  it('cannot be cleared in IA-32e mode', () => {
    const vm = la57Vm();
    advertise(vm, Feature.LA57);
    expect(faultVector(() => writeCr4(vm.vcpu.cpu, Cr4.PAE, 0))).toBe(Vector.GP);
    writeCr4(vm.vcpu.cpu, Cr4.PAE | Cr4.LA57 | Cr4.PGE, 0);
    expect(vm.vcpu.cpu.state.getLo('cr4') & Cr4.LA57).toBe(Cr4.LA57);
  });
});
