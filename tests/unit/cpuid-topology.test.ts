// CPUID leaves 0BH, 15H and 16H as a guest reads them, field by field from the SDM's leaf
// definitions (Vol. 2A CPUID, Table 3-8), and consistent with the clocks they describe.
import { describe, expect, it } from 'vitest';
import { Reg } from '../../core/cpu/registers.ts';
import { TSC_HZ } from '../../core/cpu/msr.ts';
import { APIC_BUS_CYCLE_NS_DEFAULT } from '../../core/kvm/irqchip/lapic-timer.ts';
import { CpuidModel, supportedCpuid } from '../../core/cpu/cpuid.ts';
import { topologyLeaves } from '../../core/cpu/cpuid-topology.ts';
import { createTestVm, enterFlat32, ExitReason } from '../lib/machine.ts';

const hex = (s: string): number[] => s.match(/../g)!.map((b) => parseInt(b, 16));

/** CPUID executed by a 32-bit guest: [EAX, EBX, ECX, EDX]. */
function cpuid(leaf: number, subleaf = 0): number[] {
  const vm = createTestVm();
  vm.load(0x1000, [0x0f, 0xa2, 0xf4]); // cpuid; hlt
  enterFlat32(vm, 0x1000);
  vm.setReg(Reg.RAX, leaf);
  vm.setReg(Reg.RCX, subleaf);
  vm.runExpect(ExitReason.HLT);
  return [Reg.RAX, Reg.RBX, Reg.RCX, Reg.RDX].map((r) => vm.reg(r) >>> 0);
}

describe('leaves 15H and 16H: the TSC and crystal frequencies', () => {
  it('leaf 0 enumerates them: the maximum basic leaf is 16H', () => {
    expect(cpuid(0)[0]).toBe(0x16);
  });

  it('15H: TSC Hz = ECX (crystal Hz) * EBX / EAX = 1 GHz, the crystal being the 1 GHz APIC timer clock', () => {
    const [eax, ebx, ecx, edx] = cpuid(0x15);
    expect(eax).not.toBe(0); // EBX = 0 or EAX = 0 would mean "not enumerated"
    expect(ebx).not.toBe(0);
    expect((ecx * ebx) / eax).toBe(TSC_HZ);
    expect(ecx).toBe(1e9 / APIC_BUS_CYCLE_NS_DEFAULT);
    expect(edx).toBe(0);
  });

  it('16H: base and maximum frequency 1000 MHz in EAX[15:0] and EBX[15:0], bus (reference) 1000 MHz in ECX[15:0]', () => {
    const [eax, ebx, ecx, edx] = cpuid(0x16);
    expect([eax & 0xffff, ebx & 0xffff, ecx & 0xffff, edx]).toEqual([
      TSC_HZ / 1e6,
      TSC_HZ / 1e6,
      1e9 / APIC_BUS_CYCLE_NS_DEFAULT / 1e6,
      0,
    ]);
  });
});

describe('what lets Linux trust the TSC and skip I/O delays', () => {
  it('40000001H EAX: KVM_FEATURE_NOP_IO_DELAY (bit 1) with CLOCKSOURCE2 (3) and CLOCKSOURCE_STABLE_BIT (24)', () => {
    expect(cpuid(0x40000001)[0] & ((1 << 1) | (1 << 3) | (1 << 24))).toBe((1 << 1) | (1 << 3) | (1 << 24));
  });

  it('07H EBX[1]: IA32_TSC_ADJUST; writing it moves the TSC by the same amount (SDM Vol. 3B 18.17.3)', () => {
    const vm = createTestVm();
    // rdtsc; mov edi, edx; mov ecx, 0x3b; xor eax, eax; mov edx, 1; wrmsr; rdtsc; hlt
    vm.load(0x1000, hex('0f3189d7b93b00000031c0ba010000000f300f31f4'));
    enterFlat32(vm, 0x1000);
    vm.runExpect(ExitReason.HLT);
    expect(cpuid(7)[1] & (1 << 1)).toBe(1 << 1);
    // TSC_ADJUST went from 0 to 2^32: the TSC's high dword moved by 1 (2 if the low one wrapped meanwhile).
    expect([1, 2]).toContain((vm.reg(Reg.RDX) - vm.reg(Reg.RDI)) >>> 0);
  });

  it('a guest write to the TSC adds the same delta to IA32_TSC_ADJUST (SDM Vol. 3B 18.17.3)', () => {
    const vm = createTestVm();
    // rdtsc; mov esi, eax; mov edi, edx; mov ecx, 0x10; xor eax, eax; xor edx, edx; wrmsr (TSC = 0); mov ecx, 0x3b; rdmsr; hlt
    vm.load(0x1000, hex('0f3189c689d7b91000000031c031d20f30b93b0000000f32f4'));
    enterFlat32(vm, 0x1000);
    vm.runExpect(ExitReason.HLT);
    const u64 = (hi: number, lo: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    const before = u64(vm.reg(Reg.RDI), vm.reg(Reg.RSI));
    const adjust = u64(vm.reg(Reg.RDX), vm.reg(Reg.RAX));
    // adjust = 0 - TSC at the write, a little after `before`: their sum is at most 0 and within a second of it.
    const sum = BigInt.asIntN(64, adjust + before);
    expect(sum <= 0n && sum > -BigInt(TSC_HZ)).toBe(true);
  });
});

describe('leaf 0BH: extended topology', () => {
  it('one vCPU: SMT level with 1 thread, core level with 1 core, then an invalid level echoing ECX', () => {
    // ECX[15:8] level type (1 SMT, 2 core, 0 invalid), ECX[7:0] the sub-leaf; EBX[15:0]
    // logical processors at this level; EAX[4:0] x2APIC ID shift to the next level.
    expect(cpuid(0xb, 0)).toEqual([0, 1, 0x100, 0]);
    expect(cpuid(0xb, 1)).toEqual([0, 1, 0x201, 0]);
    expect(cpuid(0xb, 2)).toEqual([0, 0, 0x002, 0]);
  });

  it('six cores, one thread each: three x2APIC ID bits number the cores', () => {
    const model = new CpuidModel();
    model.setEntries([...supportedCpuid().filter((e) => e.function !== 0xb), ...topologyLeaves(6)]);
    expect(model.query(0xb, 0)).toEqual([0, 1, 0x100, 0]);
    expect(model.query(0xb, 1)).toEqual([3, 6, 0x201, 0]);
    expect(model.query(0xb, 2)).toEqual([0, 0, 0x002, 0]);
  });

  it('every sub-leaf past the last level is invalid and echoes ECX[7:0] (SDM Vol. 2A Table 3-8)', () => {
    expect(cpuid(0xb, 3)).toEqual([0, 0, 0x003, 0]);
    expect(cpuid(0xb, 0xff)).toEqual([0, 0, 0x0ff, 0]);
    expect(cpuid(0xb, 0x1234)).toEqual([0, 0, 0x034, 0]);
  });
});
