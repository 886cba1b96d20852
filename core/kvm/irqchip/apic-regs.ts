// Local APIC register offsets and bit fields, with the names Linux uses
// (arch/x86/include/asm/apicdef.h) and the layout of SDM Vol. 3A 11.4.1, Table 11-1
// "Local APIC Register Address Map". Offsets are from the 4 KiB xAPIC page; the x2APIC MSR
// of a register is 0x800 + (offset >> 4) (SDM Vol. 3A 11.12.1.2, Table 11-6).

/** Register offsets in the APIC page (SDM Vol. 3A Table 11-1). */
export const enum ApicReg {
  ID = 0x20,
  LVR = 0x30,
  TASKPRI = 0x80,
  ARBPRI = 0x90,
  PROCPRI = 0xa0,
  EOI = 0xb0,
  RRR = 0xc0,
  LDR = 0xd0,
  DFR = 0xe0,
  SPIV = 0xf0,
  ISR = 0x100,
  TMR = 0x180,
  IRR = 0x200,
  ESR = 0x280,
  LVTCMCI = 0x2f0,
  ICR = 0x300,
  ICR2 = 0x310,
  LVTT = 0x320,
  LVTTHMR = 0x330,
  LVTPC = 0x340,
  LVT0 = 0x350,
  LVT1 = 0x360,
  LVTERR = 0x370,
  TMICT = 0x380,
  TMCCT = 0x390,
  TDCR = 0x3e0,
  /** x2APIC only (MSR 0x83f, SDM Vol. 3A 11.12.11). */
  SELF_IPI = 0x3f0,
}

/** Bytes of register state KVM_GET_LAPIC/KVM_SET_LAPIC carry (struct kvm_lapic_state). */
export const KVM_APIC_REG_SIZE = 0x400;
/** The xAPIC MMIO window (SDM Vol. 3A 11.4.1). */
export const LAPIC_MMIO_LENGTH = 0x1000;
/** IA32_APIC_BASE reset base (SDM Vol. 3A 11.4.4). */
export const APIC_DEFAULT_PHYS_BASE = 0xfee00000;
/** First x2APIC MSR (SDM Vol. 3A 11.12.1.2). */
export const APIC_BASE_MSR = 0x800;
export const X2APIC_MSR_LAST = 0x8ff;
export const MSR_IA32_APICBASE = 0x1b;
export const MSR_IA32_TSC_DEADLINE = 0x6e0;

/** IA32_APIC_BASE bits (SDM Vol. 3A 11.4.4, Figure 11-5; 11.12.1 for EXTD). */
export const MSR_IA32_APICBASE_BSP = 1n << 8n;
export const X2APIC_ENABLE = 1n << 10n;
export const MSR_IA32_APICBASE_ENABLE = 1n << 11n;
/** Bits 7:0 and 9 are reserved (KVM's 0x2ff). */
export const APIC_BASE_RESERVED_LOW = 0x2ffn;

/** KVM's APIC_VERSION: "14 is the version for Xeon and Pentium" (arch/x86/kvm/lapic.c). */
export const APIC_VERSION = 0x14;
/** LVR bit 24: EOI-broadcast suppression supported (SDM Vol. 3A 11.8.5). */
export const APIC_LVR_DIRECTED_EOI = 1 << 24;

/** SVR (SDM Vol. 3A 11.9, Figure 11-23). */
export const APIC_SPIV_APIC_ENABLED = 1 << 8;
export const APIC_SPIV_FOCUS_DISABLED = 1 << 9;
export const APIC_SPIV_DIRECTED_EOI = 1 << 12;

/** DFR models (SDM Vol. 3A 11.6.2.2). */
export const APIC_DFR_FLAT = 0xffffffff;
export const APIC_DFR_CLUSTER = 0x0fffffff;
export const APIC_LDR_MASK = 0xff000000;

/** Bits shared by LVT entries and the ICR (SDM Vol. 3A Figures 11-8 and 11-12). */
export const APIC_VECTOR_MASK = 0xff;
export const APIC_MODE_MASK = 0x700;
export const APIC_DEST_LOGICAL = 0x800;
export const APIC_SEND_PENDING = 1 << 12;
export const APIC_ICR_BUSY = 1 << 12;
export const APIC_INPUT_POLARITY = 1 << 13;
export const APIC_LVT_REMOTE_IRR = 1 << 14;
export const APIC_INT_ASSERT = 1 << 14;
export const APIC_LVT_LEVEL_TRIGGER = 1 << 15;
export const APIC_INT_LEVELTRIG = 1 << 15;
export const APIC_LVT_MASKED = 1 << 16;
export const APIC_SHORT_MASK = 0xc0000;

/** ICR destination shorthand, bits 19:18 (SDM Vol. 3A 11.6.1). */
export const enum Shorthand {
  None = 0,
  Self = 0x40000,
  AllIncludingSelf = 0x80000,
  AllExcludingSelf = 0xc0000,
}

/** Delivery modes as they sit in bits 10:8 of the ICR, LVT entries and MSI data (APIC_DM_*). */
export const enum DeliveryMode {
  Fixed = 0x000,
  LowestPriority = 0x100,
  Smi = 0x200,
  RemoteRead = 0x300,
  Nmi = 0x400,
  Init = 0x500,
  Startup = 0x600,
  ExtInt = 0x700,
}

/** LVT timer mode, bits 18:17 (SDM Vol. 3A 11.5.1, Figure 11-8). */
export const enum TimerMode {
  OneShot = 0,
  Periodic = 1 << 17,
  TscDeadline = 2 << 17,
}

/** Physical destination that every APIC accepts (SDM Vol. 3A 11.6.2.1, 11.12.9). */
export const APIC_BROADCAST = 0xff;
export const X2APIC_BROADCAST = 0xffffffff;

/** LVT slots in KVM's order; APIC_LVTx(i) is LVTT + 0x10*i except CMCI. */
export const enum Lvt {
  Timer = 0,
  Thermal = 1,
  Perf = 2,
  Lint0 = 3,
  Lint1 = 4,
  Error = 5,
  Cmci = 6,
}
export const KVM_APIC_MAX_NR_LVT_ENTRIES = 7;

export function lvtOffset(index: number): number {
  return index === Lvt.Cmci ? ApicReg.LVTCMCI : ApicReg.LVTT + 0x10 * index;
}

/** Writable bits of each LVT (KVM's apic_lvt_mask; the timer adds its mode bits). */
const LVT_MASK = APIC_LVT_MASKED | APIC_SEND_PENDING | APIC_VECTOR_MASK;
const LINT_MASK =
  LVT_MASK | APIC_MODE_MASK | APIC_INPUT_POLARITY | APIC_LVT_REMOTE_IRR | APIC_LVT_LEVEL_TRIGGER;
export const APIC_LVT_WRITABLE: readonly number[] = [
  LVT_MASK, // timer
  LVT_MASK | APIC_MODE_MASK, // thermal
  LVT_MASK | APIC_MODE_MASK, // performance counter
  LINT_MASK,
  LINT_MASK,
  LVT_MASK, // error
  LVT_MASK | APIC_MODE_MASK, // CMCI
];

/** x2APIC logical ID derived from the x2APIC ID (SDM Vol. 3A 11.12.10.2). */
export function x2apicLdr(id: number): number {
  return (((id >>> 4) << 16) | (1 << (id & 0xf))) >>> 0;
}
