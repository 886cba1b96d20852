// CPUID leaves that describe time and topology (SDM Vol. 2A CPUID, Table 3-8):
//   0BH  Extended Topology Enumeration: one sub-leaf per level, SMT then core (Vol. 3A
//        9.9.1 "Hierarchical Mapping of Shared Resources"); EDX is the x2APIC ID of the
//        processor that executes CPUID, which the vCPU fills in (core/kvm/vcpu-core.ts).
//   15H  Time Stamp Counter and Nominal Core Crystal Clock: TSC Hz = ECX * EBX / EAX.
//   16H  Processor Frequency Information: base, maximum and bus (reference) MHz.
// The TSC counts at 1 GHz of host time (msr.ts TSC_HZ) and the local APIC timer's input
// clock is 1 GHz (lapic-timer.ts, KVM's APIC_BUS_CYCLE_NS_DEFAULT). Linux's
// native_calibrate_tsc() takes leaf 15H's crystal as the APIC timer clock
// (lapic_timer_period = crystal Hz / HZ), so the crystal is the APIC clock and the ratio
// 1:1; QEMU enumerates the APIC bus frequency as its crystal the same way.
import { KVM_CPUID_FLAG_SIGNIFCANT_INDEX, type KvmCpuidEntry2 } from '../kvm/types.ts';

export const CPUID_LEAF_TOPOLOGY = 0xb;
export const CPUID_LEAF_TSC = 0x15;
export const CPUID_LEAF_FREQUENCY = 0x16;

/** The nominal core crystal clock: the local APIC timer's 1 GHz input. */
export const CORE_CRYSTAL_HZ = 1_000_000_000;
/** TSC / crystal ratio, numerator over denominator: the TSC also counts at 1 GHz. */
export const TSC_CRYSTAL_RATIO = { numerator: 1, denominator: 1 } as const;
const MHZ = 1_000_000;

/** Leaf 0BH level types, ECX[15:8] (SDM Vol. 2A Table 3-8). */
export const enum TopologyLevel {
  Invalid = 0,
  Smt = 1,
  Core = 2,
}

/**
 * Leaf 0BH for a package of `cores` cores with one thread each: sub-leaf 0 is the SMT level
 * (1 logical processor, no x2APIC ID bits), sub-leaf 1 the core level (all `cores`, and
 * EAX[4:0] = the bits of x2APIC ID that number them), sub-leaf 2 invalid (EAX = EBX = 0,
 * ECX = the sub-leaf number). EDX is left 0 for the vCPU's x2APIC ID.
 */
export function topologyLeaves(cores: number): KvmCpuidEntry2[] {
  if (!Number.isInteger(cores) || cores < 1) throw new RangeError(`cpuid: ${cores} cores`);
  const coreBits = Math.ceil(Math.log2(cores));
  const level = (index: number, eax: number, ebx: number, type: TopologyLevel): KvmCpuidEntry2 => ({
    function: CPUID_LEAF_TOPOLOGY,
    index,
    flags: KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
    eax,
    ebx,
    ecx: (type << 8) | index,
    edx: 0,
  });
  return [
    level(0, 0, 1, TopologyLevel.Smt),
    level(1, coreBits, cores, TopologyLevel.Core),
    level(2, 0, 0, TopologyLevel.Invalid),
  ];
}

/** Leaves 15H and 16H: the TSC from the crystal, and the base = maximum = 1000 MHz. */
export function clockLeaves(): KvmCpuidEntry2[] {
  const tscMhz = (CORE_CRYSTAL_HZ * TSC_CRYSTAL_RATIO.numerator) / TSC_CRYSTAL_RATIO.denominator / MHZ;
  return [
    {
      function: CPUID_LEAF_TSC,
      index: 0,
      flags: 0,
      eax: TSC_CRYSTAL_RATIO.denominator,
      ebx: TSC_CRYSTAL_RATIO.numerator,
      ecx: CORE_CRYSTAL_HZ,
      edx: 0,
    },
    {
      function: CPUID_LEAF_FREQUENCY,
      index: 0,
      flags: 0,
      eax: tscMhz,
      ebx: tscMhz,
      ecx: CORE_CRYSTAL_HZ / MHZ,
      edx: 0,
    },
  ];
}
