// The model-specific registers this CPU has, with their Linux names and indices
// (arch/x86/include/asm/msr-index.h). One list: rdmsr/wrmsr, KVM_GET/SET_MSRS and
// KVM_GET_MSR_INDEX_LIST all read it. An MSR not listed does not exist: RDMSR/WRMSR of it
// raises #GP(0) in the guest, as on hardware.
import type { VcpuState } from './state.ts';

/** Nominal TSC rate: 1 GHz, so the TSC counts nanoseconds of host time. */
export const TSC_HZ = 1_000_000_000;

export interface MsrSpec {
  readonly index: number;
  readonly name: string;
  /** Storage slot in the vCPU state (layout.ts `msr`), or 'tsc' for the time-derived counter. */
  readonly slot: number | 'tsc';
  readonly reset: bigint;
  /** Bits the guest may set; a write with others set raises #GP(0). */
  readonly writable: bigint;
}

export const MSRS: readonly MsrSpec[] = [
  { index: 0x10, name: 'IA32_TIME_STAMP_COUNTER', slot: 'tsc', reset: 0n, writable: (1n << 64n) - 1n },
];

const BY_INDEX = new Map(MSRS.map((m) => [m.index, m]));

export function msrSpec(index: number): MsrSpec | undefined {
  return BY_INDEX.get(index >>> 0);
}

export class MsrModel {
  constructor(private readonly s: VcpuState) {}

  reset(): void {
    for (const m of MSRS) {
      if (m.slot === 'tsc') this.setTsc(m.reset);
      else this.s.set64('msr', m.reset, m.slot);
    }
  }

  /** The time stamp counter now: host nanoseconds plus the guest's offset (SDM Vol. 3B 18.17). */
  tsc(): bigint {
    return BigInt.asUintN(64, BigInt(Math.floor(performance.now() * (TSC_HZ / 1000))) + this.s.get64('tscOffset'));
  }

  private setTsc(value: bigint): void {
    const now = BigInt(Math.floor(performance.now() * (TSC_HZ / 1000)));
    this.s.set64('tscOffset', BigInt.asUintN(64, value - now));
  }

  get(index: number): bigint | undefined {
    const m = msrSpec(index);
    if (m === undefined) return undefined;
    return m.slot === 'tsc' ? this.tsc() : this.s.get64('msr', m.slot);
  }

  /** Returns false when the MSR does not exist or the value is not allowed (#GP in the guest). */
  set(index: number, value: bigint, _host: boolean): boolean {
    const m = msrSpec(index);
    if (m === undefined || (value & ~m.writable) !== 0n) return false;
    if (m.slot === 'tsc') this.setTsc(value);
    else this.s.set64('msr', value, m.slot);
    return true;
  }

  /** IA32_APIC_BASE for kvm_sregs.apic_base: this CPU has no local APIC yet. */
  apicBase(): bigint {
    return 0n;
  }
}
