// POP m (SDM Vol. 2B POP): an RSP-based destination address uses RSP after the increment,
// and RSP is committed only after the store, so a store that exits (MMIO) or faults
// restarts the instruction with RSP unchanged. `push 0x11; push 0x22; pop qword [rsp]`
// leaves [RSP] = 0x22 at RSP = the original - 8 on the host CPU (gcc, x86-64).
import { describe, expect, it } from 'vitest';
import { Reg } from '../../core/cpu/registers.ts';
import { ExitReason } from '../lib/machine.ts';
import { KSTACK, longModeVm, u64 } from './long-mode-guest.ts';

const CODE = 0x4000;

describe('POP m', () => {
  it('pop qword [rsp] stores at the incremented RSP', () => {
    const vm = longModeVm(CODE);
    vm.load(CODE, [0x6a, 0x11, 0x6a, 0x22, 0x8f, 0x04, 0x24, 0xf4]); // push 0x11; push 0x22; pop qword [rsp]; hlt
    vm.runExpect(ExitReason.HLT);
    expect(vm.vcpu.cpu.state.get64('gpr', Reg.RSP)).toBe(BigInt(KSTACK - 8));
    expect(u64(vm, KSTACK - 8)).toBe(0x22n);
  });

  it('a pop into MMIO exits and completes once: RSP moves by 8 only', () => {
    const vm = longModeVm(CODE);
    // push 0x33; mov eax, 0x300000 (past RAM); pop qword [rax]; hlt
    vm.load(CODE, [0x6a, 0x33, 0xb8, 0x00, 0x00, 0x30, 0x00, 0x8f, 0x00, 0xf4]);
    const s = vm.vcpu.cpu.state;
    vm.runExpect(ExitReason.MMIO);
    expect([s.getNum('runMmioPhysAddr'), s.getU32('runMmioLen'), s.getU8('runMmioData')]).toEqual([0x300000, 8, 0x33]);
    vm.runExpect(ExitReason.HLT);
    expect(s.get64('gpr', Reg.RSP)).toBe(BigInt(KSTACK));
  });
});
