// KVM_EXIT_MMIO from the middle of a block, the instruction's completion on the next run,
// and flags that were deferred in the block surviving the exit exactly (SDM Vol. 1 3.4.3).
import { describe, expect, it } from 'vitest';
import { Flag } from '../../core/cpu/registers.ts';
import { decodeExit } from '../../core/kvm/exit.ts';
import { createTestVm, enterFlat32, ExitReason } from '../lib/machine.ts';

const STATUS = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.OF;

describe('MMIO exits inside a block', () => {
  it('exits with the address, completes the read on re-entry, and keeps the flags of the previous ADD', () => {
    const vm = createTestVm(); // RAM is 2 MiB: 0x900000 is in no slot, so it is MMIO
    // add eax, ebx ; mov ecx, [0x900000] ; hlt
    vm.load(0x1000, [0x01, 0xd8, 0x8b, 0x0d, 0x00, 0x00, 0x90, 0x00, 0xf4]);
    enterFlat32(vm, 0x1000);
    vm.setReg(0, 0xffffffff);
    vm.setReg(3, 1);
    vm.runExpect(ExitReason.MMIO);
    const s = vm.vcpu.cpu.state;
    const exit = decodeExit(s);
    if (exit.reason !== ExitReason.MMIO) throw new Error('not MMIO');
    expect(exit.mmio).toMatchObject({ physAddr: 0x900000, len: 4, isWrite: false });
    // The MOV has not executed: RIP points at it, ADD's result is in EAX.
    expect(s.getLo('rip')).toBe(0x1002);
    expect(vm.reg(0)).toBe(0);
    // 0xffffffff + 1 = 0: CF ZF PF AF set, SF OF clear (SDM Vol. 2A ADD, Vol. 1 3.4.3.1).
    expect(vm.flags() & STATUS).toBe(Flag.CF | Flag.ZF | Flag.PF | Flag.AF);
    exit.mmio.data.set([0x78, 0x56, 0x34, 0x12]);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(1)).toBe(0x12345678);
  });

  it('reports an MMIO write with its data and completes it once', () => {
    const vm = createTestVm();
    // mov dword [0x900010], 0xcafef00d ; inc eax ; hlt
    vm.load(0x1000, [0xc7, 0x05, 0x10, 0x00, 0x90, 0x00, 0x0d, 0xf0, 0xfe, 0xca, 0x40, 0xf4]);
    enterFlat32(vm, 0x1000);
    vm.runExpect(ExitReason.MMIO);
    const exit = decodeExit(vm.vcpu.cpu.state);
    if (exit.reason !== ExitReason.MMIO) throw new Error('not MMIO');
    expect(exit.mmio).toMatchObject({ physAddr: 0x900010, len: 4, isWrite: true });
    expect(Array.from(exit.mmio.data)).toEqual([0x0d, 0xf0, 0xfe, 0xca]);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(0)).toBe(1);
  });
});

describe('self-modifying code', () => {
  it('drops a translated block when its page is written and runs the new bytes', () => {
    const vm = createTestVm();
    // target at 0x2000: mov eax, 1 ; hlt
    vm.load(0x2000, [0xb8, 0x01, 0, 0, 0, 0xf4]);
    // 0x1000: call 0x2000 (runs the old code) ; mov byte [0x2001], 2 ; call 0x2000 ; hlt
    vm.load(0x1000, [0xe8, 0xfb, 0x0f, 0, 0]);
    enterFlat32(vm, 0x1000);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(0)).toBe(1);
    // Guest writes the immediate, then jumps back to the block.
    vm.load(0x3000, [0xc6, 0x05, 0x01, 0x20, 0, 0, 0x02, 0xe9, 0xf4, 0xef, 0xff, 0xff]); // mov byte [0x2001],2 ; jmp 0x2000
    vm.vcpu.cpu.state.setLo('rip', 0x3000);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(0)).toBe(2);
  });

  it('a store of the bytes already there keeps the translated block; the next different store still drops it', () => {
    const vm = createTestVm();
    const compiled = (): bigint => vm.vcpu.cpu.state.get64('statBlocksCompiled');
    vm.load(0x2000, [0xb8, 0x01, 0, 0, 0, 0xf4]); // mov eax, 1 ; hlt
    enterFlat32(vm, 0x2000);
    vm.runExpect(ExitReason.HLT);
    // 0x3000: mov byte [0x2001], 1 (the byte already there) ; jmp 0x2000
    vm.load(0x3000, [0xc6, 0x05, 0x01, 0x20, 0, 0, 0x01, 0xe9, 0xf4, 0xef, 0xff, 0xff]);
    vm.vcpu.cpu.state.setLo('rip', 0x3000);
    const before = compiled();
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(0)).toBe(1);
    expect(compiled() - before).toBe(1n); // the block at 0x3000 only: 0x2000's was kept
    // 0x4000: mov byte [0x2001], 3 ; jmp 0x2000 — the page's store after the kept one.
    vm.load(0x4000, [0xc6, 0x05, 0x01, 0x20, 0, 0, 0x03, 0xe9, 0xf4, 0xdf, 0xff, 0xff]);
    vm.vcpu.cpu.state.setLo('rip', 0x4000);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(0)).toBe(3);
  });
});
