// Guest RIPs are full 64-bit values: code in the last page of the address space
// (0xffff_ffff_ffff_f000, mapped by 4-level paging: PML4E, PDPTE, PDE and PTE 511) runs,
// branches, faults with an exact CR2 and pushed RIP, and wraps around to address 0 (SDM
// Vol. 1 3.3.7: RIP-relative and branch arithmetic are modulo 2^64). Above 2^53 a JS number
// can no longer hold such addresses, so this catches every place one slips through.
import { describe, expect, it } from 'vitest';
import { Pte } from '../../core/cpu/mmu.ts';
import { Cr4, Efer, Reg } from '../../core/cpu/registers.ts';
import { ExitReason, type TestVm } from '../lib/machine.ts';
import { GATE64_INTERRUPT, idtGate, IDT, KCODE, longModeVm, put64, rip, stackQwords, u64 } from './long-mode-guest.ts';
import { setPaging } from './paging-lib.ts';
import { putDesc } from './protection-guest.ts';

const PML4 = 0x10000;
const PDPT_LOW = 0x11000;
const PD_LOW = 0x12000;
const PDPT_TOP = 0x13000;
const PD_TOP = 0x14000;
const PT_TOP = 0x15000;
/** Physical page behind the top page. */
const TOP_FRAME = 0x16000;
const TOP = 0xffff_ffff_ffff_f000n;
const RW = BigInt(Pte.P | Pte.RW);
const LAST = 511;

/**
 * At TOP (nasm, org 0xfffffffffffff000):
 *   mov ecx, 3 / .l: add eax, 1 / loop .l / call fn / jmp .over / hlt
 *   .over: mov rbx, [rel data] / lea rdx, [rel $] / mov rsi, 0xffffffffffffe123 / mov rdi, [rsi]
 *   fn: mov r8, [rsp] / ret
 * handler at TOP + 0x800: hlt; data at TOP + 0xff0: dq 0x1122334455667788.
 */
const TOP_CODE = [
  0xb9, 0x03, 0x00, 0x00, 0x00, 0x83, 0xc0, 0x01, 0xe2, 0xfb, 0xe8, 0x1b, 0x00, 0x00, 0x00, 0xeb, 0x01, 0xf4, 0x48, 0x8b,
  0x1d, 0xd7, 0x0f, 0x00, 0x00, 0x48, 0x8d, 0x15, 0xf9, 0xff, 0xff, 0xff, 0x48, 0xc7, 0xc6, 0x23, 0xe1, 0xff, 0xff, 0x48,
  0x8b, 0x3e, 0x4c, 0x8b, 0x04, 0x24, 0xc3,
];
const HANDLER = 0x800;
const DATA = 0xff0;
const PF_RIP = TOP + 0x27n;

/** 64-bit mode with the low 2 MiB identity-mapped and the top page mapped to TOP_FRAME; RIP = `at`. */
function topPageVm(at: bigint): TestVm {
  const vm = longModeVm(0);
  put64(vm, PML4, BigInt(PDPT_LOW) | RW);
  put64(vm, PDPT_LOW, BigInt(PD_LOW) | RW);
  put64(vm, PD_LOW, BigInt(Pte.PS) | RW);
  put64(vm, PML4 + 8 * LAST, BigInt(PDPT_TOP) | RW);
  put64(vm, PDPT_TOP + 8 * LAST, BigInt(PD_TOP) | RW);
  put64(vm, PD_TOP + 8 * LAST, BigInt(PT_TOP) | RW);
  put64(vm, PT_TOP + 8 * LAST, BigInt(TOP_FRAME) | RW);
  vm.load(TOP_FRAME, TOP_CODE);
  vm.load(TOP_FRAME + HANDLER, [0xf4]);
  put64(vm, TOP_FRAME + DATA, 0x1122334455667788n);
  // #PF gate to TOP + 0x800: offset bits 63:32 in the gate's third dword (SDM Vol. 3A Figure 6-8).
  idtGate(vm, 14, Number((TOP + BigInt(HANDLER)) & 0xffffffffn), GATE64_INTERRUPT, 0);
  putDesc(vm, IDT + 14 * 16 + 8, [0xffffffff, 0]);
  setPaging(vm, PML4, Cr4.PAE, Efer.SCE | Efer.LME | Efer.LMA);
  vm.vcpu.cpu.state.set64('rip', at);
  return vm;
}

const gpr = (vm: TestVm, r: number): bigint => vm.vcpu.cpu.state.get64('gpr', r);

describe('code in the last page of the 64-bit address space', () => {
  it('loops, calls, returns and reads RIP-relative data there; a #PF pushes the exact RIP and sets the exact CR2', () => {
    const vm = topPageVm(TOP);
    vm.runExpect(ExitReason.HLT);
    expect(gpr(vm, Reg.RAX)).toBe(3n);
    expect(gpr(vm, Reg.R8)).toBe(TOP + 0xfn); // the return address CALL pushed
    expect(gpr(vm, Reg.RBX)).toBe(0x1122334455667788n);
    expect(gpr(vm, Reg.RDX)).toBe(TOP + 0x19n);
    expect(vm.vcpu.cpu.state.get64('cr2')).toBe(0xffff_ffff_ffff_e123n);
    expect(rip(vm)).toBe(TOP + BigInt(HANDLER) + 1n);
    // Error code 0 (not present, read, supervisor), then RIP, CS, RFLAGS, RSP, SS (SDM Vol. 3A Figure 6-9).
    const [code, pushedRip, cs] = stackQwords(vm, 3);
    expect(code).toBe(0n);
    expect(pushedRip).toBe(PF_RIP);
    expect(cs).toBe(BigInt(KCODE));
  });

  it('a branch target wraps modulo 2^64: jmp rel32 from the top page lands at 0x4000', () => {
    // At TOP + 0x40: jmp rel32 with next RIP = TOP + 0x45, so rel32 = 0x4000 - (TOP + 0x45) mod 2^64.
    const vm = topPageVm(TOP + 0x40n);
    const rel = Number(BigInt.asUintN(32, 0x4000n - (TOP + 0x45n)));
    vm.load(TOP_FRAME + 0x40, [0xe9, rel & 0xff, (rel >>> 8) & 0xff, (rel >>> 16) & 0xff, rel >>> 24]);
    vm.load(0x4000, [0xf4]);
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(0x4001n);
  });

  it('jmp rax from low memory to the top page and an instruction fetch there', () => {
    const vm = topPageVm(0x4000n);
    // mov rax, TOP + 0x800; jmp rax
    vm.load(0x4000, [0x48, 0xc7, 0xc0, 0x00, 0xf8, 0xff, 0xff, 0xff, 0xe0]);
    vm.runExpect(ExitReason.HLT);
    expect(rip(vm)).toBe(TOP + BigInt(HANDLER) + 1n);
    expect(u64(vm, PT_TOP + 8 * LAST) & BigInt(Pte.A)).toBe(BigInt(Pte.A));
  });
});
