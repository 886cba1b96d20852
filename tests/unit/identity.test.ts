// CPUID, RDTSC, RDTSCP, RDMSR, WRMSR (SDM Vol. 2A CPUID, Vol. 2B RDMSR/RDTSC/RDTSCP/WRMSR):
// the instructions against the vCPU's CPUID and MSR models, faults observed through a
// real-mode IVT handler (SDM Vol. 3A 20.1.4: FLAGS, CS, IP pushed; IP of the faulting instruction).
import { describe, expect, it } from 'vitest';
import { SIGNATURE, supportedCpuid } from '../../core/cpu/cpuid.ts';
import { msrSpec } from '../../core/cpu/msr.ts';
import { Cr4, Reg, Seg, SegAttr, Vector } from '../../core/cpu/registers.ts';
import { createTestVm, enterFlat32, enterRealMode, ExitReason, type TestVm } from '../lib/machine.ts';

const CODE = 0x1000;
const HANDLER = 0x0500;
const IA32_TIME_STAMP_COUNTER = 0x10;

/** Real mode at CODE with IVT[vector] -> 0000:HANDLER, whose first instruction is HLT. */
function realModeWithHandler(vm: TestVm, vector: number): void {
  vm.load(vector * 4, [HANDLER & 0xff, HANDLER >> 8, 0, 0]);
  vm.load(HANDLER, [0xf4]);
  enterRealMode(vm, CODE);
}

/** Runs to the handler's HLT and returns the IP the exception pushed. */
function faultingIp(vm: TestVm): number {
  vm.runExpect(ExitReason.HLT);
  expect(vm.vcpu.cpu.state.getLo('rip')).toBe(HANDLER + 1);
  const sp = vm.reg(Reg.RSP) & 0xffff;
  return vm.ram[sp] | (vm.ram[sp + 1] << 8);
}

const ascii = (...words: number[]): string =>
  words.map((w) => String.fromCharCode(w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24)).join('');

/** CPL 3 in flat 32-bit protected mode (the privilege checks of RDMSR and RDTSC). */
function enterUser32(vm: TestVm): void {
  const cpu = vm.vcpu.cpu;
  enterFlat32(vm, CODE);
  const user = SegAttr.P | SegAttr.S | SegAttr.DB | SegAttr.G | (3 << SegAttr.DPL_SHIFT);
  cpu.setSegment(Seg.CS, 0x1b, 0, 0xffffffff, user | 0xb);
  cpu.setSegment(Seg.SS, 0x23, 0, 0xffffffff, user | 3);
  cpu.state.setU32('cpl', 3);
  cpu.state.setU32('idtrLimit', 0);
  cpu.refreshMode();
}

describe('CPUID', () => {
  it('leaf 0: the maximum basic leaf of the model and "GenuineIntel" in EBX, EDX, ECX', () => {
    const vm = createTestVm();
    vm.load(CODE, [0x0f, 0xa2, 0xf4]); // cpuid; hlt
    enterRealMode(vm, CODE);
    vm.setReg(Reg.RAX, 0);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(Reg.RAX)).toBe(supportedCpuid().find((e) => e.function === 0)!.eax);
    expect(ascii(vm.reg(Reg.RBX), vm.reg(Reg.RDX), vm.reg(Reg.RCX))).toBe('GenuineIntel');
  });

  it('leaf 1: the processor signature in EAX', () => {
    const vm = createTestVm();
    vm.load(CODE, [0x0f, 0xa2, 0xf4]);
    enterFlat32(vm, CODE);
    vm.setReg(Reg.RAX, 1);
    vm.runExpect(ExitReason.HLT);
    expect(vm.reg(Reg.RAX)).toBe(SIGNATURE);
  });
});

describe('RDMSR and WRMSR', () => {
  it('RDMSR of an MSR the CPU does not have raises #GP at the instruction', () => {
    const vm = createTestVm();
    const index = 0x12345678;
    expect(msrSpec(index)).toBeUndefined();
    vm.load(CODE, [0x0f, 0x32, 0xf4]); // rdmsr; hlt
    realModeWithHandler(vm, Vector.GP);
    vm.setReg(Reg.RCX, index);
    vm.setReg(Reg.RAX, 0xaaaa);
    expect(faultingIp(vm)).toBe(CODE);
    expect(vm.reg(Reg.RAX)).toBe(0xaaaa);
  });

  it('WRMSR of an MSR the CPU does not have raises #GP at the instruction', () => {
    const vm = createTestVm();
    vm.load(CODE, [0x0f, 0x30, 0xf4]); // wrmsr; hlt
    realModeWithHandler(vm, Vector.GP);
    vm.setReg(Reg.RCX, 0x12345678);
    expect(faultingIp(vm)).toBe(CODE);
  });

  it('WRMSR IA32_TIME_STAMP_COUNTER sets the TSC that RDMSR and RDTSC then read (EDX:EAX)', () => {
    const vm = createTestVm();
    // wrmsr; xor eax,eax; xor edx,edx; rdmsr; mov ebx,eax; mov esi,edx; rdtsc; hlt
    vm.load(CODE, [0x0f, 0x30, 0x31, 0xc0, 0x31, 0xd2, 0x0f, 0x32, 0x89, 0xc3, 0x89, 0xd6, 0x0f, 0x31, 0xf4]);
    enterFlat32(vm, CODE);
    vm.setReg(Reg.RCX, IA32_TIME_STAMP_COUNTER);
    vm.setReg(Reg.RDX, 2);
    vm.setReg(Reg.RAX, 0);
    vm.runExpect(ExitReason.HLT);
    // The counter runs on from 2 << 32; far less than 2^32 ticks pass during the test.
    expect(vm.reg(Reg.RSI)).toBe(2);
    expect(vm.reg(Reg.RDX)).toBe(2);
    expect(vm.reg(Reg.RAX)).toBeGreaterThanOrEqual(vm.reg(Reg.RBX));
  });

  it('RDMSR at CPL 3 faults (#GP) instead of completing', () => {
    const vm = createTestVm();
    vm.load(CODE, [0x0f, 0x32, 0xf4]);
    enterUser32(vm);
    vm.setReg(Reg.RCX, IA32_TIME_STAMP_COUNTER);
    vm.setReg(Reg.RAX, 0xaaaa);
    expect(vm.run().reason).not.toBe(ExitReason.HLT);
    expect(vm.vcpu.cpu.state.getLo('rip')).toBe(CODE);
    expect(vm.reg(Reg.RAX)).toBe(0xaaaa);
  });
});

describe('RDTSC and RDTSCP', () => {
  it('RDTSC counts up', () => {
    const vm = createTestVm();
    vm.load(CODE, [0x0f, 0x31, 0x89, 0xc3, 0x89, 0xd6, 0x0f, 0x31, 0xf4]); // rdtsc; mov ebx,eax; mov esi,edx; rdtsc; hlt
    enterFlat32(vm, CODE);
    vm.runExpect(ExitReason.HLT);
    const first = (BigInt(vm.reg(Reg.RSI)) << 32n) | BigInt(vm.reg(Reg.RBX));
    const second = (BigInt(vm.reg(Reg.RDX)) << 32n) | BigInt(vm.reg(Reg.RAX));
    expect(second >= first).toBe(true);
  });

  it('CR4.TSD makes RDTSC fault at CPL 3 but not at CPL 0', () => {
    const user = createTestVm();
    user.load(CODE, [0x0f, 0x31, 0xf4]);
    enterUser32(user);
    const s = user.vcpu.cpu.state;
    s.setLo('cr4', s.getLo('cr4') | Cr4.TSD);
    user.setReg(Reg.RAX, 0xaaaa);
    expect(user.run().reason).not.toBe(ExitReason.HLT);
    expect(s.getLo('rip')).toBe(CODE);
    expect(user.reg(Reg.RAX)).toBe(0xaaaa);

    const kernel = createTestVm();
    kernel.load(CODE, [0x0f, 0x31, 0xf4]);
    enterFlat32(kernel, CODE);
    kernel.vcpu.cpu.state.setLo('cr4', Cr4.TSD);
    kernel.runExpect(ExitReason.HLT);
  });

  it('RDTSCP raises #UD while CPUID.80000001H:EDX.RDTSCP[27] is clear', () => {
    const vm = createTestVm();
    vm.vcpu.setCpuid2(supportedCpuid().map((e) => (e.function === 0x80000001 ? { ...e, edx: (e.edx & ~(1 << 27)) >>> 0 } : e)));
    expect(vm.vcpu.cpuid.query(0x80000001, 0)[3] & (1 << 27)).toBe(0);
    vm.load(CODE, [0x0f, 0x01, 0xf9, 0xf4]); // rdtscp; hlt
    realModeWithHandler(vm, Vector.UD);
    expect(faultingIp(vm)).toBe(CODE);
  });
});
