// REP INS into memory that is not RAM (SDM Vol. 2A INS): each element is read from the port
// (KVM_EXIT_IO) and then written to the MMIO address (KVM_EXIT_MMIO), once each, in order,
// as KVM's emulator does for kvm-unit-tests' string_io_mmio.
import { describe, expect, it } from 'vitest';
import { Pte } from '../../core/cpu/mmu.ts';
import { Cr4, Efer, Reg } from '../../core/cpu/registers.ts';
import { createTestVm, enterFlat32, ExitReason, type TestVm } from '../lib/machine.ts';
import { longModeVm, put64 } from './long-mode-guest.ts';
import { setPaging } from './paging-lib.ts';

const CODE = 0x1000;
/** Beyond the test VM's 2 MiB of RAM: an MMIO address. */
const MMIO = 0x300000;

describe('REP INSB into MMIO', () => {
  it('exits IO then MMIO for each byte, reads the port once per byte, and retires ECX/EDI', () => {
    const vm = createTestVm();
    // mov edi, MMIO; mov edx, 0xe0; mov ecx, 2; rep insb; hlt
    vm.load(CODE, [0xbf, 0x00, 0x00, 0x30, 0x00, 0xba, 0xe0, 0, 0, 0, 0xb9, 2, 0, 0, 0, 0xf3, 0x6c, 0xf4]);
    enterFlat32(vm, CODE);
    const s = vm.vcpu.cpu.state;
    for (const [i, byte] of [0x99, 0x98].entries()) {
      expect(vm.run().reason).toBe(ExitReason.IO);
      expect([s.getU32('runIoPort'), s.getU32('runIoCount'), s.getU32('runIoSize')]).toEqual([0xe0, 1, 1]);
      s.setU8('runData', byte);
      expect(vm.run().reason).toBe(ExitReason.MMIO);
      expect([s.getNum('runMmioPhysAddr'), s.getU32('runMmioIsWrite'), s.getU8('runMmioData')]).toEqual([MMIO + i, 1, byte]);
    }
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(Reg.RCX)).toBe(0);
    expect(vm.reg(Reg.RDI)).toBe(MMIO + 2);
  });

  it('in 64-bit mode at the top of the address space, across two MMIO pages (0x...bfff, 0x...c000)', () => {
    // 4-level paging: 0xffff_ffff_ffff_b000 -> 0x300000 and 0xffff_ffff_ffff_c000 -> 0x301000, both past RAM.
    const vm = longModeVm(CODE);
    const rw = BigInt(Pte.P | Pte.RW);
    put64(vm, 0x10000, 0x11000n | rw);
    put64(vm, 0x11000, 0x12000n | rw);
    put64(vm, 0x12000, BigInt(Pte.PS) | rw); // low 2 MiB identity-mapped
    put64(vm, 0x10000 + 8 * 511, 0x13000n | rw);
    put64(vm, 0x13000 + 8 * 511, 0x14000n | rw);
    put64(vm, 0x14000 + 8 * 511, 0x15000n | rw);
    put64(vm, 0x15000 + 8 * 507, 0x300000n | rw);
    put64(vm, 0x15000 + 8 * 508, 0x301000n | rw);
    setPaging(vm, 0x10000, Cr4.PAE, Efer.SCE | Efer.LME | Efer.LMA);
    // mov rdi, -0x4001; mov edx, 0xe0; mov ecx, 2; rep insb; hlt
    vm.load(CODE, [0x48, 0xc7, 0xc7, 0xff, 0xbf, 0xff, 0xff, 0xba, 0xe0, 0, 0, 0, 0xb9, 2, 0, 0, 0, 0xf3, 0x6c, 0xf4]);
    expect(insExits(vm, [0x99, 0x98])).toEqual([0x300fff, 0x301000]);
    expect(vm.vcpu.cpu.state.get64('gpr', Reg.RDI)).toBe(0xffff_ffff_ffff_c001n);
  });
});

/** Answers each IO exit with the next byte; returns the MMIO write addresses until HLT. */
function insExits(vm: TestVm, bytes: number[]): number[] {
  const s = vm.vcpu.cpu.state;
  const writes: number[] = [];
  for (const byte of bytes) {
    expect(vm.run().reason).toBe(ExitReason.IO);
    s.setU8('runData', byte);
    expect(vm.run().reason).toBe(ExitReason.MMIO);
    expect(s.getU8('runMmioData')).toBe(byte);
    writes.push(s.getNum('runMmioPhysAddr'));
  }
  vm.runExpect(ExitReason.HLT);
  return writes;
}
