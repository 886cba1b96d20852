// The dispatcher's (linear RIP, mode) hash across INVLPG and MOV to CR3 (jit/dispatcher.ts
// JitHash). SDM Vol. 2A INVLPG: the TLB entries of the page holding the operand are
// invalidated, of the whole page when it is a large one; Vol. 3A 4.10.4.1: MOV to CR3
// invalidates every non-global translation. Code fetched through a changed mapping must
// then run as the new mapping says; an INVLPG elsewhere leaves the cached lookups alone.
import { describe, expect, it } from 'vitest';
import { Pte } from '../../core/cpu/mmu.ts';
import { Cr4, Reg } from '../../core/cpu/registers.ts';
import { ExitReason, enterFlat32 } from '../lib/machine.ts';
import { pagingVm, setPaging, type PagingVm } from './paging-lib.ts';

const PDPT = 0x10000;
const PD = 0x11000;
const PT = 0x12000;
const CODE = 0x1000;
/** Linear 0x200000 (PDE 1 -> PT, PTE 0) maps frame A, then B. */
const P = 0x200000;
const FRAME_A = 0x300000;
const FRAME_B = 0x301000;
/** Linear 0x600000 (PDE 3) is a 2 MiB page: frame 0x400000, then 0x600000. */
const LARGE = 0x600000;
const RW = Pte.P | Pte.RW;
/** mov eax, 0x11 / 0x22; ret */
const RETURN_11 = [0xb8, 0x11, 0, 0, 0, 0xc3];
const RETURN_22 = [0xb8, 0x22, 0, 0, 0, 0xc3];

/**
 * PAE paging: PDE 0 an identity 2 MiB page (code, tables, stack), PDE 1 a page table with
 * P -> FRAME_A, PDE 3 a 2 MiB page at LARGE -> 0x400000. FRAME_A and 0x400000 hold code
 * returning 0x11, FRAME_B and 0x600000 code returning 0x22.
 */
function remapVm(code: number[]): PagingVm {
  const vm = pagingVm();
  vm.put64(PDPT, PD | Pte.P);
  vm.put64(PD, 0 | Pte.PS | RW);
  vm.put64(PD + 8, PT | RW);
  vm.put64(PD + 24, 0x400000 | Pte.PS | RW);
  vm.put64(PT, FRAME_A | RW);
  vm.load(FRAME_A, RETURN_11);
  vm.load(FRAME_B, RETURN_22);
  vm.load(0x400000, RETURN_11);
  vm.load(0x600000, RETURN_22);
  vm.load(CODE, code);
  enterFlat32(vm, CODE);
  setPaging(vm, PDPT, Cr4.PAE);
  return vm;
}

/** Linear RIPs of the blocks the dispatcher did not find (Cpu.lookup calls). */
function recordLookups(vm: PagingVm): number[] {
  const cpu = vm.vcpu.cpu;
  const lookup = cpu.lookup.bind(cpu);
  const at: number[] = [];
  cpu.lookup = (single) => {
    at.push(cpu.ripLinear());
    return lookup(single);
  };
  return at;
}

describe('dispatcher hash and INVLPG', () => {
  it('runs the code a 4 KiB page maps after the guest remaps it and INVLPGs it', () => {
    // call P; mov ebx, eax; mov dword [PT], FRAME_B | P | RW; invlpg [P]; call P; hlt
    const vm = remapVm([
      0xe8, 0xfb, 0xef, 0x1f, 0x00, 0x89, 0xc3, 0xc7, 0x05, 0x00, 0x20, 0x01, 0x00, 0x03, 0x10, 0x30, 0x00,
      0x0f, 0x01, 0x3d, 0x00, 0x00, 0x20, 0x00, 0xe8, 0xe3, 0xef, 0x1f, 0x00, 0xf4,
    ]);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(Reg.RBX)).toBe(0x11);
    expect(vm.reg(Reg.RAX)).toBe(0x22);
  });

  it('runs the code a 2 MiB page maps after a remap and an INVLPG elsewhere in that page', () => {
    // call LARGE; mov ebx, eax; mov dword [PD + 24], 0x600000 | PS | P | RW; invlpg [0x7ff000]; call LARGE; hlt
    const vm = remapVm([
      0xe8, 0xfb, 0xef, 0x5f, 0x00, 0x89, 0xc3, 0xc7, 0x05, 0x18, 0x10, 0x01, 0x00, 0x83, 0x00, 0x60, 0x00,
      0x0f, 0x01, 0x3d, 0x00, 0xf0, 0x7f, 0x00, 0xe8, 0xe3, 0xef, 0x5f, 0x00, 0xf4,
    ]);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(Reg.RBX)).toBe(0x11);
    expect(vm.reg(Reg.RAX)).toBe(0x22);
  });

  it('runs the code of a remapped non-global page after MOV to CR3', () => {
    // call P; mov ebx, eax; mov dword [PT], FRAME_B | P | RW; mov eax, cr3; mov cr3, eax; call P; hlt
    const vm = remapVm([
      0xe8, 0xfb, 0xef, 0x1f, 0x00, 0x89, 0xc3, 0xc7, 0x05, 0x00, 0x20, 0x01, 0x00, 0x03, 0x10, 0x30, 0x00,
      0x0f, 0x20, 0xd8, 0x0f, 0x22, 0xd8, 0xe8, 0xe4, 0xef, 0x1f, 0x00, 0xf4,
    ]);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(Reg.RBX)).toBe(0x11);
    expect(vm.reg(Reg.RAX)).toBe(0x22);
  });

  /** Calls EDI twice with INVLPG [ESI] after each call; returns how often the block at EDI was looked up. */
  function lookupsAcrossInvlpg(target: number, invlpg: number): number {
    // mov ecx, 2; again: call edi; invlpg [esi]; dec ecx; jnz again; hlt
    const vm = remapVm([0xb9, 0x02, 0x00, 0x00, 0x00, 0xff, 0xd7, 0x0f, 0x01, 0x3e, 0x49, 0x75, 0xf8, 0xf4]);
    vm.setReg(Reg.RDI, target);
    vm.setReg(Reg.RSI, invlpg);
    const lookups = recordLookups(vm);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(Reg.RAX)).toBe(0x11);
    return lookups.filter((rip) => rip === target).length;
  }

  it('looks a block up again after INVLPG of its 4 KiB page, not after INVLPG of an unrelated page', () => {
    expect(lookupsAcrossInvlpg(P, P)).toBe(2);
    expect(lookupsAcrossInvlpg(P, P + 0x8000)).toBe(1);
  });

  it('looks a block on a 2 MiB page up again after INVLPG anywhere in that page only', () => {
    expect(lookupsAcrossInvlpg(LARGE, LARGE + 0x1ff000)).toBe(2);
    expect(lookupsAcrossInvlpg(LARGE, LARGE + 0x200000)).toBe(1);
    expect(lookupsAcrossInvlpg(LARGE, P)).toBe(1);
  });
});
