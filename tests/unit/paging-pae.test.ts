// PAE paging (SDM Vol. 3A 4.4): PDPTE registers loaded from CR3 with the #GP rule of 4.4.1,
// 4 KiB and 2 MiB pages, reserved bits (Tables 4-8 to 4-11) and XD with EFER.NXE (4.6, 4.7).
import { describe, expect, it } from 'vitest';
import { PagingMode, PfErr, Pte } from '../../core/cpu/mmu.ts';
import { Cr4, Efer, Reg, Vector } from '../../core/cpu/registers.ts';
import { writeCr3 } from '../../core/cpu/system-regs.ts';
import { enterFlat32, ExitReason } from '../lib/machine.ts';
import { Access, pageFault, pagingVm, runToException, setPaging, translate, XD, type PagingVm } from './paging-lib.ts';

const PDPT = 0x10000;
const PD = 0x11000;
const PT = 0x12000;
const PD2 = 0x13000;
const URW = Pte.P | Pte.RW | Pte.US;

/** PDPTE 1 -> PD -> PT maps 0x40201000 to 0x123000; PDPTE 0 -> PD2, whose PDE 0 and 1 are 2 MiB identity pages. */
function paeVm(nxe = false): PagingVm {
  const vm = pagingVm();
  vm.put64(PDPT + 8, PD | Pte.P);
  vm.put64(PD + 8, PT | URW);
  vm.put64(PT + 8, 0x123000 | URW);
  vm.put64(PDPT, PD2 | Pte.P);
  vm.put64(PD2, 0 | Pte.PS | Pte.P | Pte.RW);
  vm.put64(PD2 + 8, 0x200000 | Pte.PS | Pte.P | Pte.RW);
  setPaging(vm, PDPT, Cr4.PAE, nxe ? Efer.NXE : 0);
  return vm;
}

describe('PAE paging translation (4.4.2)', () => {
  it('maps a 4 KiB page through PDPTE, PDE and PTE; A on PDE and PTE, D on the PTE only on a write', () => {
    const vm = paeVm();
    expect(translate(vm, 0x40201abc)).toBe(0x123abc);
    expect(vm.get64lo(PD + 8) & (Pte.A | Pte.D)).toBe(Pte.A);
    expect(vm.get64lo(PT + 8) & (Pte.A | Pte.D)).toBe(Pte.A);
    expect(vm.get64lo(PDPT + 8)).toBe(PD | Pte.P); // a PAE PDPTE has no accessed flag (bit 5 is reserved)
    translate(vm, 0x40201abc, Access.Write);
    expect(vm.get64lo(PT + 8) & Pte.D).toBe(Pte.D);
    expect(vm.get64lo(PD + 8) & Pte.D).toBe(0);
  });

  it('maps a 2 MiB page with a PDE whose PS = 1, whatever CR4.PSE, and dirties that PDE', () => {
    const vm = paeVm();
    vm.put64(PD2 + 8 * 3, 0x00a00000 | Pte.PS | Pte.P | Pte.RW);
    expect(translate(vm, 0x00634567)).toBe(0x00a34567);
    expect(translate(vm, 0x007fffff)).toBe(0x00bfffff);
    translate(vm, 0x00700000, Access.Write);
    expect(vm.get64lo(PD2 + 8 * 3) & (Pte.A | Pte.D)).toBe(Pte.A | Pte.D);
  });

  it('uses address bits 35:32 of an entry (MAXPHYADDR 36)', () => {
    const vm = paeVm();
    vm.put64(PT + 8 * 2, 0x3_4567_8000 + URW);
    expect(translate(vm, 0x40202123)).toBe(0x3_4567_8123);
  });

  it('not-present PDPTE, PDE and PTE give #PF with P = 0 and CR2 = the address', () => {
    const vm = paeVm();
    expect(pageFault(() => translate(vm, 0x80000000))).toEqual({ code: 0, cr2: 0x80000000 });
    expect(pageFault(() => translate(vm, 0x40400000, Access.Write))).toEqual({ code: PfErr.W, cr2: 0x40400000 });
    expect(pageFault(() => translate(vm, 0x40203000, Access.Read, true))).toEqual({ code: PfErr.U, cr2: 0x40203000 });
  });
});

describe('PAE reserved bits (Tables 4-9 to 4-11; error code RSVD with P = 1, 4.7)', () => {
  const RSVD = PfErr.RSVD | PfErr.P;

  it('bits 20:13 of a 2 MiB PDE', () => {
    const vm = paeVm();
    vm.put64(PD2 + 8 * 2, 0x00400000 | Pte.PS | Pte.P | (1 << 13));
    expect(pageFault(() => translate(vm, 0x00400000))?.code).toBe(RSVD);
    expect(pageFault(() => translate(vm, 0x00400000, Access.Write))?.code).toBe(RSVD | PfErr.W);
  });

  it('bits 62:MAXPHYADDR of a PTE (bit 36 and bit 52)', () => {
    const vm = paeVm();
    vm.put64(PT + 8 * 3, 0x5000 | URW, 1 << 4);
    vm.put64(PT + 8 * 4, 0x5000 | URW, 1 << 20);
    expect(pageFault(() => translate(vm, 0x40203000, Access.Read, true))?.code).toBe(RSVD | PfErr.U);
    expect(pageFault(() => translate(vm, 0x40204000))?.code).toBe(RSVD);
  });

  it('XD (bit 63) while EFER.NXE = 0; with NXE = 1 the page reads but fetches fault with I/D', () => {
    const off = paeVm();
    off.put64(PT + 8 * 5, 0x5000 | URW, XD);
    expect(pageFault(() => translate(off, 0x40205000))?.code).toBe(RSVD);
    const on = paeVm(true);
    on.put64(PT + 8 * 5, 0x5000 | URW, XD);
    expect(translate(on, 0x40205000)).toBe(0x5000);
    expect(pageFault(() => translate(on, 0x40205000, Access.Fetch))?.code).toBe(PfErr.P | PfErr.I);
    expect(pageFault(() => translate(on, 0x40205000, Access.Fetch, true))?.code).toBe(PfErr.P | PfErr.I | PfErr.U);
  });

  it('I/D is set for a not-present fetch only with EFER.NXE (or CR4.SMEP)', () => {
    expect(pageFault(() => translate(paeVm(false), 0x40206000, Access.Fetch))?.code).toBe(0);
    expect(pageFault(() => translate(paeVm(true), 0x40206000, Access.Fetch))?.code).toBe(PfErr.I);
  });
});

describe('PDPTE registers (4.4.1)', () => {
  it('MOV to CR3 loads them; a later change of the PDPT in memory is not seen until the next load', () => {
    const vm = paeVm();
    writeCr3(vm.vcpu.cpu, PDPT, 0);
    expect(translate(vm, 0x40201000)).toBe(0x123000);
    vm.put64(PDPT + 8, PD2 | Pte.P); // PDPTE 1 -> the identity page directory
    vm.vcpu.cpu.mmu.flush();
    expect(translate(vm, 0x40201000)).toBe(0x123000);
    writeCr3(vm.vcpu.cpu, PDPT, 0);
    expect(translate(vm, 0x40201000)).toBe(0x201000);
  });

  // mov eax, 0x20; mov cr4, eax; mov eax, PDPT; mov cr3, eax; mov eax, cr0; or eax, 1 << 31; mov cr0, eax; hlt
  const ENABLE = [0xb8, 0x20, 0, 0, 0, 0x0f, 0x22, 0xe0, 0xb8, 0, 0, 1, 0, 0x0f, 0x22, 0xd8, 0x0f, 0x20, 0xc0, 0x0d, 0, 0, 0, 0x80, 0x0f, 0x22, 0xc0, 0xf4];

  it('enabling paging with a valid PDPT enters PAE paging', () => {
    const vm = paeVm();
    setPaging(vm, 0, 0);
    const s = vm.vcpu.cpu.state;
    s.setLo('cr0', s.getLo('cr0') & 0x7fffffff);
    vm.load(0x1000, ENABLE);
    enterFlat32(vm, 0x1000);
    vm.runExpect(ExitReason.HLT);
    expect(vm.vcpu.cpu.mmu.pagingMode()).toBe(PagingMode.Pae);
  });

  it('a present PDPTE with a reserved bit makes MOV to CR0 that enables paging #GP(0), PG stays clear', () => {
    const vm = paeVm();
    vm.put64(PDPT + 16, PD | Pte.P | Pte.RW); // bit 1 is reserved in a PAE PDPTE
    setPaging(vm, 0, 0);
    const s = vm.vcpu.cpu.state;
    s.setLo('cr0', s.getLo('cr0') & 0x7fffffff);
    vm.load(0x1000, ENABLE);
    enterFlat32(vm, 0x1000);
    expect(runToException(vm)).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: 0x1000 + 24 });
    expect(s.getLo('cr0') >>> 31).toBe(0);
  });

  it('MOV to CR3 with an invalid PDPT under PAE paging is #GP(0) and leaves CR3 alone', () => {
    const vm = paeVm();
    vm.put64(0x20000, PD2 | Pte.P, 1 << 4); // bit 36: above MAXPHYADDR
    vm.load(0x1000, [0xb8, 0x00, 0x00, 0x02, 0x00, 0x0f, 0x22, 0xd8, 0xf4]); // mov eax, 0x20000; mov cr3, eax; hlt
    enterFlat32(vm, 0x1000);
    expect(runToException(vm)).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: 0x1005 });
    expect(vm.vcpu.cpu.state.getLo('cr3')).toBe(PDPT);
  });
});

describe('execute-disable in a running guest', () => {
  it('a jump to an XD page faults at the fetch: #PF error code 0x11 (P, I/D), CR2 = the target', () => {
    const vm = paeVm();
    vm.put64(PD2 + 8, 0x200000 | Pte.PS | Pte.P | Pte.RW, XD);
    vm.load(0x200000, [0xf4]);
    // mov ecx, EFER; mov eax, NXE; xor edx, edx; wrmsr; mov eax, 0x200000; jmp eax
    vm.load(0x1000, [0xb9, 0x80, 0x00, 0x00, 0xc0, 0xb8, 0x00, 0x08, 0x00, 0x00, 0x31, 0xd2, 0x0f, 0x30, 0xb8, 0x00, 0x00, 0x20, 0x00, 0xff, 0xe0]);
    enterFlat32(vm, 0x1000);
    expect(runToException(vm)).toEqual({ vector: Vector.PF, errorCode: 0x11, cr2: 0x200000, rip: 0x200000 });
    expect(vm.reg(Reg.RAX)).toBe(0x200000);
  });
});
