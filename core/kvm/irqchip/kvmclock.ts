// kvmclock, KVM's paravirtual clock (Documentation/virt/kvm/x86/msr.rst, arch/x86/kvm/x86.c
// kvm_write_wall_clock and kvm_setup_guest_pvclock): the guest gives two guest-physical
// addresses by MSR and the host writes the time structures there.
//
//   MSR_KVM_WALL_CLOCK_NEW  0x4b564d00: struct pvclock_wall_clock { u32 version; u32 sec; u32 nsec; }
//     = the wall-clock time at which system time was 0, written once per MSR write.
//   MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01: bit 0 enables; struct pvclock_vcpu_time_info {
//     u32 version; u32 pad0; u64 tsc_timestamp; u64 system_time; u32 tsc_to_system_mul;
//     s8 tsc_shift; u8 flags; u8 pad[2]; } (32 bytes, must not cross a page)
//     time = system_time + (((tsc - tsc_timestamp) << tsc_shift) * tsc_to_system_mul >> 32).
//
// System time is the VM's guest clock (host-clock.ts: nanoseconds since the irqchip's
// epoch, shared by every vCPU). The TSC runs at exactly TSC_HZ = 1 GHz of host time (msr.ts),
// so one (tsc_timestamp, system_time) pair, written when the guest enables the clock, stays
// exact: shift 1 and multiplier 2^31 make one TSC tick one nanosecond. Every vCPU derives
// its pair from the same clock, so PVCLOCK_TSC_STABLE_BIT holds (CPUID 0x40000001 bit 24).

export const MSR_KVM_WALL_CLOCK_NEW = 0x4b564d00;
export const MSR_KVM_SYSTEM_TIME_NEW = 0x4b564d01;
/** PVCLOCK_TSC_STABLE_BIT: time never goes backwards across vCPUs without a guest fixup. */
export const PVCLOCK_TSC_STABLE_BIT = 1 << 0;
/** The structure's size: it must not cross a page boundary (msr.rst). */
const PVCLOCK_VCPU_TIME_INFO_SIZE = 32;
const KVM_MSR_ENABLED = 1n;
/** With a 1 GHz TSC: (delta << 1) * 2^31 >> 32 = delta nanoseconds. */
const TSC_SHIFT = 1;
const TSC_TO_SYSTEM_MUL = 0x80000000;

/** What kvmclock needs of the vCPU: its TSC, the VM clock, and guest RAM. */
export interface KvmclockHost {
  guestTsc(): bigint;
  /** System time (the VM's guest clock, ns) at the moment the TSC read `tsc`. */
  systemTimeAt(tsc: bigint): bigint;
  /** Host wall-clock ms at system time 0. */
  readonly epochMs: number;
  /** Writes bytes to guest-physical memory; false when the range is not RAM. */
  writeGuest(gpa: number, bytes: Uint8Array): boolean;
}

export class Kvmclock {
  wallClock = 0n;
  systemTime = 0n;

  constructor(private readonly host: KvmclockHost) {}

  static owns(index: number): boolean {
    return index === MSR_KVM_WALL_CLOCK_NEW || index === MSR_KVM_SYSTEM_TIME_NEW;
  }

  read(index: number): bigint {
    return index === MSR_KVM_WALL_CLOCK_NEW ? this.wallClock : this.systemTime;
  }

  /** WRMSR; false means #GP (KVM: a guest that writes a struct outside RAM gets no clock, not #GP). */
  write(index: number, value: bigint): boolean {
    value = BigInt.asUintN(64, value);
    if (index === MSR_KVM_WALL_CLOCK_NEW) {
      this.wallClock = value;
      this.writeWallClock(Number(value));
      return true;
    }
    this.systemTime = value;
    if (value & KVM_MSR_ENABLED) this.writeTimeInfo(Number(value & ~KVM_MSR_ENABLED));
    return true;
  }

  private writeWallClock(gpa: number): void {
    const b = new Uint8Array(12);
    const dv = new DataView(b.buffer);
    const ms = this.host.epochMs;
    dv.setUint32(0, 2, true); // an even version: the data is consistent
    dv.setUint32(4, Math.floor(ms / 1000), true);
    dv.setUint32(8, Math.round((ms % 1000) * 1e6), true);
    this.host.writeGuest(gpa, b);
  }

  /** Fills pvclock_vcpu_time_info at `gpa`; version odd while writing, then even. */
  private writeTimeInfo(gpa: number): void {
    if ((gpa % 4096) + PVCLOCK_VCPU_TIME_INFO_SIZE > 4096) return;
    const b = new Uint8Array(PVCLOCK_VCPU_TIME_INFO_SIZE);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, 1, true);
    this.host.writeGuest(gpa, b.subarray(0, 4));
    // One TSC sample and the system time derived from it, not a second clock read: every
    // vCPU's pair then maps host time to the same system time (no warp between vCPUs).
    const tsc = this.host.guestTsc();
    dv.setBigUint64(8, tsc, true);
    dv.setBigUint64(16, BigInt.asUintN(64, this.host.systemTimeAt(tsc)), true);
    dv.setUint32(24, TSC_TO_SYSTEM_MUL, true);
    dv.setInt8(28, TSC_SHIFT);
    dv.setUint8(29, PVCLOCK_TSC_STABLE_BIT);
    dv.setUint32(0, 2, true);
    this.host.writeGuest(gpa, b);
  }
}
