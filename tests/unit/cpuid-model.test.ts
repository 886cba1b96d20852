// The CPUID model read back by a guest, each bit checked at its SDM position (Vol. 2A CPUID,
// Tables 3-8 and 3-10..3-12), and the features behind the bits exercised: the address widths
// of leaf 80000008H against the paging reserved-bit checks, LAHF in 64-bit mode, and the
// speculation-control MSRs that leaf 7 EDX announces (SDM Vol. 4 Table 2-2).
import { describe, expect, it } from 'vitest';
import { PfErr, Pte } from '../../core/cpu/mmu.ts';
import { Reg, Vector } from '../../core/cpu/registers.ts';
import { createTestVm, enterFlat32, ExitReason } from '../lib/machine.ts';
import { longModeVm } from './long-mode-guest.ts';
import { enterLongMode, pagingVm, runToException } from './paging-lib.ts';

const CODE = 0x1000;

/** Runs CPUID with EAX = leaf, ECX = subleaf in a 32-bit guest; returns [EAX, EBX, ECX, EDX]. */
function cpuid(leaf: number, subleaf = 0): [number, number, number, number] {
  const vm = createTestVm();
  vm.load(CODE, [0x0f, 0xa2, 0xf4]); // cpuid; hlt
  enterFlat32(vm, CODE);
  vm.setReg(Reg.RAX, leaf);
  vm.setReg(Reg.RCX, subleaf);
  vm.runExpect(ExitReason.HLT);
  return [vm.reg(Reg.RAX), vm.reg(Reg.RBX), vm.reg(Reg.RCX), vm.reg(Reg.RDX)];
}

const bit = (v: number, n: number): number => (v >>> n) & 1;

describe('CPUID as the guest reads it', () => {
  it('leaf 0: maximum basic leaf 7 or more (leaf 7 is there), GenuineIntel', () => {
    const [eax, ebx, ecx, edx] = cpuid(0);
    expect(eax).toBeGreaterThanOrEqual(7);
    const s = [ebx, edx, ecx].map((r) => String.fromCharCode(r & 0xff, (r >>> 8) & 0xff, (r >>> 16) & 0xff, r >>> 24)).join('');
    expect(s).toBe('GenuineIntel');
  });

  it('leaf 1: family 6, display model 0x6A (extended model 6, model 0xA), stepping 6; hypervisor bit (ECX 31)', () => {
    const [eax, , ecx] = cpuid(1);
    const family = (eax >>> 8) & 0xf;
    const model = (((eax >>> 16) & 0xf) << 4) | ((eax >>> 4) & 0xf);
    expect([family, model, eax & 0xf]).toEqual([6, 0x6a, 6]);
    expect(bit(ecx, 31)).toBe(1);
  });

  it('leaf 7 sub-leaf 0: no further sub-leaves, FSGSBASE (EBX 0), IBRS/IBPB, STIBP, ARCH_CAPABILITIES, SSBD (EDX 26 27 29 31)', () => {
    const [eax, ebx, , edx] = cpuid(7, 0);
    expect(eax).toBe(0);
    expect(bit(ebx, 0)).toBe(1);
    for (const n of [26, 27, 29, 31]) expect(bit(edx, n), `EDX[${n}]`).toBe(1);
  });

  it('leaf 6: ARAT (EAX 2)', () => {
    expect(bit(cpuid(6)[0], 2)).toBe(1);
  });

  it('extended leaves: maximum 80000008H; LAHF/SAHF in 64-bit mode (ECX 0); SYSCALL, XD, 1 GiB pages, LM (EDX 11 20 26 29); invariant TSC (80000007H EDX 8)', () => {
    expect(cpuid(0x80000000)[0] >>> 0).toBe(0x80000008);
    const [, , ecx, edx] = cpuid(0x80000001);
    expect(bit(ecx, 0)).toBe(1);
    for (const n of [11, 20, 26, 29]) expect(bit(edx, n), `EDX[${n}]`).toBe(1);
    expect(bit(cpuid(0x80000007)[3], 8)).toBe(1);
  });

  it('leaf 80000008H: 48 linear-address bits; the physical width is the MAXPHYADDR the page walk enforces', () => {
    const [eax] = cpuid(0x80000008);
    expect((eax >>> 8) & 0xff).toBe(48);
    const maxPhys = eax & 0xff;
    // A PTE whose frame has bit MAXPHYADDR set is a reserved-bit #PF; bit MAXPHYADDR - 1 is an address bit (SDM Vol. 3A 4.5.4).
    const guest = (frameBit: number): ReturnType<typeof pagingVm> => {
      const vm = pagingVm();
      const [lo, hiBits] = frameBit >= 32 ? [0, 1 << (frameBit - 32)] : [1 << frameBit, 0];
      vm.put64(0x10000, 0x11000 | Pte.P | Pte.RW);
      vm.put64(0x11000, 0x12000 | Pte.P | Pte.RW);
      vm.put64(0x12000, 0x13000 | Pte.P | Pte.RW);
      vm.put64(0x13000, 0x0000 | Pte.P | Pte.RW); // 0 -> the code page
      vm.put64(0x13008, (lo >>> 0) + (Pte.P | Pte.RW), hiBits); // 0x1000 -> the frame under test
      vm.load(0x0, [0x8b, 0x05, 0xfa, 0x0f, 0x00, 0x00, 0xf4]); // mov eax, [rip + 0xffa] = [0x1000]; hlt
      enterLongMode(vm, 0x10000, 0);
      return vm;
    };
    expect(runToException(guest(maxPhys)).errorCode).toBe(PfErr.P | PfErr.RSVD);
    // Bit MAXPHYADDR - 1 is an address bit: the read goes to the bus (no RAM there: an MMIO exit).
    expect(guest(maxPhys - 1).run().reason).toBe(ExitReason.MMIO);
  });
});

describe('what the bits promise', () => {
  it('LAHF in 64-bit mode loads AH from SF ZF AF PF CF (SDM Vol. 2A LAHF)', () => {
    const vm = longModeVm(CODE);
    vm.load(CODE, [0x31, 0xc0, 0xf9, 0x9f, 0xf4]); // xor eax, eax (ZF PF); stc; lahf; hlt
    vm.runExpect(ExitReason.HLT);
    expect((vm.reg(Reg.RAX) >>> 8) & 0xff).toBe(0x47); // ZF | PF | bit 1 | CF
  });

  it('IA32_ARCH_CAPABILITIES reads RDCL_NO, IBRS_ALL, MDS_NO, TAA_NO ... and refuses writes; SPEC_CTRL takes bits 2:0; PRED_CMD is write-only', () => {
    const msrs = createTestVm().vcpu.msrs;
    const caps = msrs.get(0x10a)!;
    for (const n of [0n, 1n, 4n, 5n, 8n, 13n, 14n, 15n, 26n]) expect((caps >> n) & 1n, `bit ${n}`).toBe(1n);
    expect(msrs.set(0x10a, 0n, false)).toBe(false);
    expect(msrs.set(0x48, 0b111n, false)).toBe(true);
    expect(msrs.get(0x48)).toBe(0b111n);
    expect(msrs.set(0x48, 0b1000n, false)).toBe(false);
    expect(msrs.set(0x49, 1n, false)).toBe(true);
    expect(msrs.get(0x49)).toBeUndefined();
  });

  it('RDMSR of IA32_PRED_CMD in a guest raises #GP(0)', () => {
    const vm = longModeVm(CODE);
    vm.load(CODE, [0xb9, 0x49, 0x00, 0x00, 0x00, 0x0f, 0x32, 0xf4]); // mov ecx, 0x49; rdmsr; hlt
    expect(runToException(vm)).toMatchObject({ vector: Vector.GP, errorCode: 0, rip: CODE + 5 });
  });
});
