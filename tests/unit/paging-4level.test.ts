// 4-level paging (SDM Vol. 3A 4.5): 4 KiB, 2 MiB and 1 GiB pages, accessed and dirty flags
// on every level (4.8), reserved bits (Tables 4-14 to 4-19), access rights combined over all
// levels (4.6), canonical addresses, and a running 64-bit guest that touches high-half
// memory, a non-canonical address and an XD page.
import { describe, expect, it } from 'vitest';
import { isCanonical, PfErr, Pte } from '../../core/cpu/mmu.ts';
import { Cr0, Cr4, Efer, Reg, Vector } from '../../core/cpu/registers.ts';
import { ExitReason } from '../lib/machine.ts';
import { Access, enterLongMode, faultVector, pageFault, pagingVm, runToException, setPaging, tlbHolds, translate, XD, type PagingVm } from './paging-lib.ts';

const PML4 = 0x10000;
const PDPT = 0x11000;
const PD = 0x12000;
const PT = 0x13000;
const PDPT_LOW = 0x14000;
const PD_LOW = 0x15000;
const URW = Pte.P | Pte.RW | Pte.US;
/** 0xffff8000_00000000, the first high-half address (PML4 entry 256), in signed form. */
const HIGH = -(2 ** 47);
const RSVD = PfErr.RSVD | PfErr.P;

/**
 * PML4E 256 -> PDPT -> PD -> PT: HIGH + 0x201000 maps to 0x345000. PML4E 0 -> PDPT_LOW: PDPTE
 * 0 -> PD_LOW (PDE 0: 2 MiB identity page), PDPTE 1: a 1 GiB page at 0xc0000000.
 */
function level4Vm(efer = 0, cr0Extra = 0): PagingVm {
  const vm = pagingVm();
  vm.put64(PML4 + 8 * 256, PDPT | URW);
  vm.put64(PDPT, PD | URW);
  vm.put64(PD + 8, PT | URW);
  vm.put64(PT + 8, 0x345000 | URW);
  vm.put64(PML4, PDPT_LOW | URW);
  vm.put64(PDPT_LOW, PD_LOW | URW);
  vm.put64(PD_LOW, 0 | Pte.PS | URW);
  vm.put64(PDPT_LOW + 8, 0xc000_0000 + (Pte.PS | URW));
  setPaging(vm, PML4, Cr4.PAE, Efer.LME | Efer.LMA | efer, cr0Extra);
  return vm;
}

describe('4-level translation (4.5.4)', () => {
  it('walks PML4E, PDPTE, PDE and PTE for a high-half address; A on all four, D on the PTE only', () => {
    const vm = level4Vm();
    expect(translate(vm, HIGH + 0x201abc)).toBe(0x345abc);
    for (const e of [PML4 + 8 * 256, PDPT, PD + 8, PT + 8]) expect(vm.get64lo(e) & (Pte.A | Pte.D)).toBe(Pte.A);
    translate(vm, HIGH + 0x201abc, Access.Write);
    expect(vm.get64lo(PT + 8) & Pte.D).toBe(Pte.D);
    for (const e of [PML4 + 8 * 256, PDPT, PD + 8]) expect(vm.get64lo(e) & Pte.D).toBe(0);
  });

  it('accepts the unsigned form of a high-half address too', () => {
    expect(translate(level4Vm(), 2 ** 64 + HIGH + 0x201000)).toBe(0x345000);
  });

  it('maps 2 MiB pages (PDE.PS) and 1 GiB pages (PDPTE.PS), dirtying the entry that maps the page', () => {
    const vm = level4Vm();
    expect(translate(vm, 0x1abcde)).toBe(0x1abcde);
    expect(translate(vm, 0x6543_2109)).toBe(0xe543_2109);
    translate(vm, 0x4000_0000, Access.Write);
    expect(vm.get64lo(PDPT_LOW + 8) & (Pte.A | Pte.D)).toBe(Pte.A | Pte.D);
    vm.put64(PDPT_LOW + 16, 0x8_4000_0000 + (Pte.PS | URW)); // a 1 GiB page above 4 GiB: address bits 35:30
    expect(translate(vm, 0x8000_0123)).toBe(0x8_4000_0123);
  });

  it('bits 62:52 are ignored, unlike in PAE paging', () => {
    const vm = level4Vm();
    vm.put64(PT + 16, 0x346000 | URW, 0x7ff00000);
    expect(translate(vm, HIGH + 0x202000)).toBe(0x346000);
  });
});

describe('4-level reserved bits (error code RSVD | P, 4.7)', () => {
  it('PS in a PML4E', () => {
    const vm = level4Vm();
    vm.put64(PML4 + 8 * 257, PDPT | URW | Pte.PS);
    expect(pageFault(() => translate(vm, HIGH + 2 ** 39))?.code).toBe(RSVD);
  });

  it('bits 51:MAXPHYADDR in any entry, XD without EFER.NXE, bits 29:13 of a 1 GiB PDPTE, 20:13 of a 2 MiB PDE', () => {
    const vm = level4Vm();
    vm.put64(PDPT_LOW + 16, PD_LOW | URW, 1 << 19); // bit 51
    expect(pageFault(() => translate(vm, 0x8000_0000, Access.Write, true))?.code).toBe(RSVD | PfErr.W | PfErr.U);
    vm.put64(PDPT_LOW + 16, 0x8000_0000 + (Pte.PS | URW | (1 << 13)));
    expect(pageFault(() => translate(vm, 0x8000_0000))?.code).toBe(RSVD);
    vm.put64(PD_LOW + 8, 0x20_0000 | Pte.PS | URW | (1 << 20));
    expect(pageFault(() => translate(vm, 0x20_0000))?.code).toBe(RSVD);
    vm.put64(PML4 + 8 * 256, PDPT | URW, XD);
    expect(pageFault(() => translate(vm, HIGH + 0x201000))?.code).toBe(RSVD);
  });

  it('a reserved-bit fault leaves the A flags of the walk alone', () => {
    const vm = level4Vm();
    vm.put64(PT + 8, 0x345000 | URW, 1 << 4); // bit 36
    pageFault(() => translate(vm, HIGH + 0x201000));
    expect(vm.get64lo(PT + 8) & Pte.A).toBe(0);
  });
});

describe('4-level access rights (4.6)', () => {
  it('R/W = 0 in the PDPTE alone makes a user write fault (P W U) and, with CR0.WP, a supervisor write', () => {
    const vm = level4Vm();
    vm.put64(PDPT, PD | Pte.P | Pte.US);
    expect(pageFault(() => translate(vm, HIGH + 0x201000, Access.Write, true))?.code).toBe(PfErr.P | PfErr.W | PfErr.U);
    expect(translate(vm, HIGH + 0x201000, Access.Write)).toBe(0x345000);
    const wp = level4Vm(0, Cr0.WP);
    wp.put64(PDPT, PD | Pte.P | Pte.US);
    expect(pageFault(() => translate(wp, HIGH + 0x201000, Access.Write))?.code).toBe(PfErr.P | PfErr.W);
  });

  it('U/S = 0 in the PML4E makes a user read fault even though the PTE allows it', () => {
    const vm = level4Vm();
    vm.put64(PML4 + 8 * 256, PDPT | Pte.P | Pte.RW);
    expect(pageFault(() => translate(vm, HIGH + 0x201000, Access.Read, true))?.code).toBe(PfErr.P | PfErr.U);
  });

  it('XD in the PML4E alone forbids fetches with EFER.NXE (P | I/D), reads still work', () => {
    const vm = level4Vm(Efer.NXE);
    vm.put64(PML4 + 8 * 256, PDPT | URW, XD);
    expect(translate(vm, HIGH + 0x201000)).toBe(0x345000);
    expect(pageFault(() => translate(vm, HIGH + 0x201000, Access.Fetch))).toEqual({ code: PfErr.P | PfErr.I, cr2: HIGH + 0x201000 });
  });
});

describe('canonical addresses (SDM Vol. 1 3.3.7.1)', () => {
  it('isCanonical: bits 63:47 (63:56 for 57 bits) all equal', () => {
    expect(isCanonical(0x7fff_ffff_f000)).toBe(true);
    expect(isCanonical(0x8000_0000_0000)).toBe(false);
    expect(isCanonical(HIGH)).toBe(true);
    expect(isCanonical(HIGH - 1)).toBe(false);
    expect(isCanonical(0xffff_8000_0000_0000n)).toBe(true);
    expect(isCanonical(0xfffe_ffff_ffff_ffffn)).toBe(false);
    expect(isCanonical(0x00ff_ffff_ffff_ffffn, 57)).toBe(true);
    expect(isCanonical(0x0100_0000_0000_0000n, 57)).toBe(false);
    expect(isCanonical(2 ** 64 - 4096)).toBe(true);
  });

  it('a non-canonical address under 4-level paging is #GP, not #PF', () => {
    const vm = level4Vm();
    expect(faultVector(() => translate(vm, 2 ** 47))).toBe(Vector.GP);
    expect(faultVector(() => translate(vm, HIGH - 4096))).toBe(Vector.GP);
  });
});

describe('INVLPG and large pages in the software TLB', () => {
  it('INVLPG of one 4 KiB piece of a 2 MiB page drops every piece the TLB holds, and nothing else', () => {
    const vm = level4Vm();
    const cpu = vm.vcpu.cpu;
    for (const lin of [0x10_0000, 0x18_0000, HIGH + 0x201000]) cpu.read(lin, 4);
    expect([tlbHolds(vm, 0x10_0000), tlbHolds(vm, 0x18_0000), tlbHolds(vm, HIGH + 0x201000)]).toEqual([true, true, true]);
    cpu.mmu.invalidatePage(0x10_0000);
    expect([tlbHolds(vm, 0x10_0000), tlbHolds(vm, 0x18_0000), tlbHolds(vm, HIGH + 0x201000)]).toEqual([false, false, true]);
  });

  it('INVLPG inside a 1 GiB page drops its pieces', () => {
    const vm = level4Vm();
    vm.put64(PDPT_LOW + 8, 0x4000_0000 + (Pte.PS | URW)); // identity, so the slow path finds no RAM: fill by hand
    const mmu = vm.vcpu.cpu.mmu;
    for (const lin of [0x4000_0000, 0x7fff_f000]) mmu.fill(lin, mmu.translate(lin, Access.Read, false), 0, false, false);
    mmu.invalidatePage(0x5000_0000);
    expect([tlbHolds(vm, 0x4000_0000), tlbHolds(vm, 0x7fff_f000)]).toEqual([false, false]);
  });
});

describe('a 64-bit guest under 4-level paging', () => {
  function guest(code: number[]): PagingVm {
    const vm = level4Vm();
    vm.load(0x1000, code);
    enterLongMode(vm, PML4, 0x1000);
    return vm;
  }
  const MOV_RAX_RBX = [0x48, 0x8b, 0x03, 0xf4]; // mov rax, [rbx]; hlt

  it('reads high-half memory through the walk', () => {
    const vm = guest(MOV_RAX_RBX);
    vm.put32(0x345678, 0xcafe0001);
    vm.vcpu.cpu.state.set64('gpr', BigInt.asUintN(64, BigInt(HIGH + 0x201678)), Reg.RBX);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(Reg.RAX)).toBe(0xcafe0001);
  });

  it('a non-canonical data address raises #GP(0) at the instruction', () => {
    const vm = guest(MOV_RAX_RBX);
    vm.vcpu.cpu.state.set64('gpr', 0x0000_8000_0000_0000n, Reg.RBX);
    expect(runToException(vm)).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: 0x1000 });
  });

  it('a jump to an XD page faults with error code 0x11 and CR2 = the target', () => {
    const vm = level4Vm(Efer.NXE);
    vm.put64(PD_LOW + 8, 0x20_0000 | Pte.PS | URW, XD);
    vm.load(0x20_0000, [0xf4]);
    vm.load(0x1000, [0xb8, 0x00, 0x00, 0x20, 0x00, 0xff, 0xe0]); // mov eax, 0x200000; jmp rax
    enterLongMode(vm, PML4, 0x1000, 0, Efer.NXE);
    expect(runToException(vm)).toEqual({ vector: Vector.PF, errorCode: 0x11, cr2: 0x20_0000, rip: 0x20_0000 });
  });

  it('a write to a read-only user page from CPL 0 with CR0.WP = 1 faults with P | W', () => {
    const vm = guest([0x89, 0x03, 0xf4]); // mov [rbx], eax; hlt
    vm.put64(PT + 16, 0x346000 | Pte.P | Pte.US);
    const s = vm.vcpu.cpu.state;
    s.setLo('cr0', s.getLo('cr0') | Cr0.WP);
    vm.vcpu.cpu.mmu.flush();
    s.set64('gpr', BigInt.asUintN(64, BigInt(HIGH + 0x202010)), Reg.RBX);
    const f = runToException(vm);
    expect(f).toMatchObject({ vector: Vector.PF, errorCode: PfErr.P | PfErr.W, rip: 0x1000 });
    expect(BigInt.asUintN(64, BigInt(f.cr2!))).toBe(0xffff_8000_0020_2010n);
  });
});
