// The local APIC of one vCPU, in xAPIC (MMIO) and x2APIC (MSR) modes, as KVM's in-kernel
// LAPIC models it (arch/x86/kvm/lapic.c) after SDM Vol. 3A chapter 11. Registers live in
// a 1 KiB page laid out as the guest sees it (Table 11-1), which is also what
// KVM_GET_LAPIC / KVM_SET_LAPIC carry.
//
// The APIC reaches out only through injected parts: the APIC bus (IPIs out, EOI
// broadcast), a clock and timer queue (the APIC timer), the guest TSC (TSC-deadline
// mode) and a `kick` callback that wakes the vCPU when an event arrives for it. The vCPU
// polls it through `PendingInterrupt` and `ApicEvents`.
//
// Where this differs from KVM: an ExtINT message (from an IOAPIC entry in ExtINT mode) is
// accepted and makes `acceptsPicInterrupt()` true until the vCPU runs the 8259A INTA
// cycle, as SDM Vol. 3A 11.6.1 describes the mode; KVM drops such messages. SMI messages
// are refused, as KVM built without SMM support (CONFIG_KVM_SMM=n) does: there is no SMM.

import { ApicBus, DestMode, TriggerMode, type ApicMessage, type ApicTarget } from './apic-bus.ts';
import {
  APIC_BASE_MSR,
  APIC_BASE_RESERVED_LOW,
  APIC_DEFAULT_PHYS_BASE,
  APIC_DFR_FLAT,
  APIC_ICR_BUSY,
  APIC_INT_ASSERT,
  APIC_INT_LEVELTRIG,
  APIC_LDR_MASK,
  APIC_LVR_DIRECTED_EOI,
  APIC_LVT_LEVEL_TRIGGER,
  APIC_LVT_MASKED,
  APIC_LVT_WRITABLE,
  APIC_MODE_MASK,
  APIC_SHORT_MASK,
  APIC_SPIV_APIC_ENABLED,
  APIC_SPIV_DIRECTED_EOI,
  APIC_VECTOR_MASK,
  APIC_VERSION,
  ApicReg,
  DeliveryMode,
  KVM_APIC_MAX_NR_LVT_ENTRIES,
  KVM_APIC_REG_SIZE,
  Lvt,
  MSR_IA32_APICBASE,
  MSR_IA32_APICBASE_BSP,
  MSR_IA32_APICBASE_ENABLE,
  MSR_IA32_TSC_DEADLINE,
  Shorthand,
  X2APIC_ENABLE,
  X2APIC_MSR_LAST,
  lvtOffset,
  x2apicLdr,
} from './apic-regs.ts';
import type { TimerQueue, Clock } from '../clock.ts';
import { LapicTimer, divideCount, type TscSource } from './lapic-timer.ts';
import type { ApicEvents, PendingInterrupt } from './pending-interrupt.ts';
import { VectorSet } from './vector-set.ts';

/** IA32_APIC_BASE bits 11:10 (KVM's enum lapic_mode; SDM Vol. 3A 11.12.5, Table 11-5). */
export const enum ApicMode {
  Disabled = 0,
  Invalid = 1 << 10,
  Xapic = 1 << 11,
  X2apic = (1 << 11) | (1 << 10),
}

export function apicMode(apicBase: bigint): ApicMode {
  return Number(apicBase & (MSR_IA32_APICBASE_ENABLE | X2APIC_ENABLE)) as ApicMode;
}

export interface LapicOptions {
  /** vCPU id: the initial APIC ID and the (read-only) x2APIC ID. */
  id: number;
  bus: ApicBus;
  clock: Clock;
  timers: TimerQueue;
  /** The guest TSC; when given, the CPU has the TSC-deadline timer (CPUID.01H:ECX[24]). */
  tsc?: TscSource;
  /** KVM's bsp_vcpu_id (default: vCPU 0 is the bootstrap processor). */
  isBsp?: boolean;
  /** CPUID.01H:ECX[21] x2APIC: whether IA32_APIC_BASE.EXTD may be set (default true). */
  x2apic?: boolean;
  /** MAXPHYADDR: IA32_APIC_BASE bits at and above it are reserved (default 36, KVM's without CPUID 0x80000008). */
  maxPhysAddr?: number;
  /** MCG_CAP.MCG_CMCI_P: adds the CMCI LVT (default false: 6 LVT entries, version 0x00050014). */
  cmci?: boolean;
  /** KVM_X86_QUIRK_LINT0_REENABLED (default on): the BSP's LVT0 is ExtINT after reset, as a BIOS leaves it. */
  lint0Reenabled?: boolean;
  /** Intel-compatible CPUID vendor: LVTPC masks itself after each PMI (SDM Vol. 3B 20.6.3.5.8). */
  intelCompatible?: boolean;
  /** APIC timer input clock period; default 1 ns (KVM's APIC_BUS_CYCLE_NS_DEFAULT). */
  busCycleNs?: number;
  /** Shortest periodic timer period; default KVM's 200 µs. */
  minPeriodicNs?: number;
  /** kvm_vcpu_kick(): an event for this vCPU arrived (wake it from HLT, make it poll). */
  kick?: () => void;
  /**
   * The register page to use, e.g. a view of the vCPU's `apicPage` in shared memory, where
   * other threads set IRR bits (shared-apic.ts); default a private page.
   */
  regs?: Uint32Array;
  /** Called with every new IA32_APIC_BASE value (the shared mirror other threads read). */
  onApicBaseChange?: (value: bigint) => void;
}

/** Plain snapshot data (STYLE.md rule 2): KVM_GET_LAPIC's page plus what KVM keeps beside it. */
export interface LapicState {
  apicBase: bigint;
  /** The 1 KiB register page as 256 little-endian 32-bit words; TMCCT holds the current count. */
  regs: Uint32Array;
  tscDeadline: bigint;
  nmiQueued: number;
  initPending: boolean;
  /** The start-up vector waiting to be taken, or -1. */
  sipiVector: number;
  extIntPending: boolean;
}

export type LapicStateError =
  | { kind: 'bad-regs-length'; length: number }
  | { kind: 'bad-apic-base'; apicBase: bigint }
  | { kind: 'bad-field'; field: string; value: unknown };

const ICR_X2APIC_RESERVED = 0xfff00000 | 0x30000 | 0x2000; // bits 31:20, 17:16, 13 of the low half
const MASK64 = (1n << 64n) - 1n;
const ALL_ONES32 = 0xffffffff;

/** Registers readable in xAPIC mode (kvm_lapic_readable_reg_mask); x2APIC drops ARBPRI, DFR, ICR2. */
const READABLE = new Set<number>([
  ApicReg.ID,
  ApicReg.LVR,
  ApicReg.TASKPRI,
  ApicReg.PROCPRI,
  ApicReg.LDR,
  ApicReg.SPIV,
  ...range(ApicReg.ISR, 8),
  ...range(ApicReg.TMR, 8),
  ...range(ApicReg.IRR, 8),
  ApicReg.ESR,
  ApicReg.ICR,
  ApicReg.LVTT,
  ApicReg.LVTTHMR,
  ApicReg.LVTPC,
  ApicReg.LVT0,
  ApicReg.LVT1,
  ApicReg.LVTERR,
  ApicReg.TMICT,
  ApicReg.TMCCT,
  ApicReg.TDCR,
]);
const XAPIC_ONLY = new Set<number>([ApicReg.ARBPRI, ApicReg.DFR, ApicReg.ICR2]);

function range(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => first + 0x10 * i);
}

export class Lapic implements ApicTarget, PendingInterrupt, ApicEvents {
  readonly vcpuId: number;
  readonly regs: Uint32Array;
  readonly irr: VectorSet;
  readonly isr: VectorSet;
  readonly tmr: VectorSet;
  readonly timer: LapicTimer;
  /** IA32_APIC_BASE (SDM Vol. 3A 11.4.4). */
  apicBase = MSR_IA32_APICBASE_ENABLE;
  arbitrationPriority = 0;
  /** NMIs delivered and not yet taken by the vCPU (KVM's nmi_queued). */
  nmiQueued = 0;
  initPending = false;
  sipiVector = -1;
  extIntPending = false;
  /** A REMRD-mode message: KVM's PV "kick CPU" hypercall wakes a halted vCPU this way. */
  pvUnhalted = false;
  private readonly nrLvtEntries: number;
  private readonly opts: LapicOptions;
  /** IA32_APIC_BASE.EN and the x2APIC mode, kept as booleans: the vCPU polls them per block. */
  private hwEnabled = true;
  private x2apicMode = false;

  constructor(opts: LapicOptions) {
    this.opts = opts;
    this.vcpuId = opts.id;
    if (opts.regs !== undefined && opts.regs.length !== KVM_APIC_REG_SIZE / 4)
      throw new RangeError(`Lapic: register page of ${opts.regs.length} words`);
    this.regs = opts.regs ?? new Uint32Array(KVM_APIC_REG_SIZE / 4);
    this.irr = new VectorSet(this.regs, ApicReg.IRR);
    this.isr = new VectorSet(this.regs, ApicReg.ISR);
    this.tmr = new VectorSet(this.regs, ApicReg.TMR);
    this.nrLvtEntries = KVM_APIC_MAX_NR_LVT_ENTRIES - (opts.cmci ? 0 : 1);
    this.timer = new LapicTimer(
      { regs: this.regs, timerExpired: () => this.deliverLocal(Lvt.Timer) },
      {
        clock: opts.clock,
        queue: opts.timers,
        tsc: opts.tsc,
        busCycleNs: opts.busCycleNs,
        minPeriodicNs: opts.minPeriodicNs,
      },
    );
    opts.bus.attach(this);
    this.reset(false);
  }

  private get isBsp(): boolean {
    return this.opts.isBsp ?? this.vcpuId === 0;
  }

  private reg(offset: number): number {
    return this.regs[offset >>> 2]!;
  }

  private setReg(offset: number, value: number): void {
    this.regs[offset >>> 2] = value;
  }

  // ---- state queries (ApicTarget) --------------------------------------------------------

  /** IA32_APIC_BASE.EN (kvm_apic_hw_enabled). */
  isPresent(): boolean {
    return this.hwEnabled;
  }

  isSoftwareEnabled(): boolean {
    return (this.reg(ApicReg.SPIV) & APIC_SPIV_APIC_ENABLED) !== 0;
  }

  isX2apic(): boolean {
    return this.x2apicMode;
  }

  /** Hardware- and software-enabled: fixed interrupts are accepted (apic_enabled). */
  isEnabled(): boolean {
    return this.isPresent() && this.isSoftwareEnabled();
  }

  xapicId(): number {
    return this.reg(ApicReg.ID) >>> 24;
  }

  logicalDestination(): number {
    return this.reg(ApicReg.LDR);
  }

  destinationFormat(): number {
    return this.reg(ApicReg.DFR);
  }

  /** Guest-physical base of the xAPIC page (IA32_APIC_BASE bits 31:12). */
  get mmioBase(): number {
    return Number(this.apicBase & 0xfffff000n);
  }

  // ---- reset -------------------------------------------------------------------------------

  /**
   * Power-on reset (`initEvent` false) or INIT (true) (kvm_lapic_reset; SDM Vol. 3A 11.4.7.1
   * and 11.4.7.3): LVTs masked, SVR 0xFF (software-disabled), IRR/ISR/TMR/TPR clear. INIT
   * keeps IA32_APIC_BASE and the APIC ID.
   */
  reset(initEvent: boolean): void {
    if (!initEvent) {
      this.applyApicBase(
        BigInt(APIC_DEFAULT_PHYS_BASE) | MSR_IA32_APICBASE_ENABLE | (this.isBsp ? MSR_IA32_APICBASE_BSP : 0n),
      );
      this.initPending = false;
      this.sipiVector = -1;
    }
    this.timer.cancel();
    if (!initEvent) this.setXapicId(this.vcpuId);
    this.setVersion();
    for (let i = 0; i < this.nrLvtEntries; i++) this.setReg(lvtOffset(i), APIC_LVT_MASKED);
    if (this.isBsp && (this.opts.lint0Reenabled ?? true)) this.setReg(ApicReg.LVT0, DeliveryMode.ExtInt);
    this.setReg(ApicReg.DFR, APIC_DFR_FLAT);
    this.setReg(ApicReg.SPIV, 0xff);
    this.setReg(ApicReg.TASKPRI, 0);
    if (!this.isX2apic()) this.setReg(ApicReg.LDR, 0);
    this.setReg(ApicReg.ESR, 0);
    this.setReg(ApicReg.ICR, 0);
    this.setReg(ApicReg.ICR2, 0);
    this.setReg(ApicReg.TDCR, 0);
    this.setReg(ApicReg.TMICT, 0);
    this.irr.clearAll();
    this.isr.clearAll();
    this.tmr.clearAll();
    this.timer.reset();
    this.updatePpr();
    this.arbitrationPriority = 0;
    this.nmiQueued = 0;
    this.extIntPending = false;
    this.pvUnhalted = false;
  }

  /** kvm_apic_set_version(): KVM's version 0x14 and (LVT entries - 1) in bits 23:16. */
  private setVersion(): void {
    this.setReg(ApicReg.LVR, APIC_VERSION | ((this.nrLvtEntries - 1) << 16));
  }

  private setXapicId(id: number): void {
    this.setReg(ApicReg.ID, (id & 0xff) << 24);
  }

  /** x2APIC: the ID is the 32-bit vCPU id and the LDR derives from it (SDM Vol. 3A 11.12.10.2). */
  private setX2apicId(id: number): void {
    this.setReg(ApicReg.ID, id);
    this.setReg(ApicReg.LDR, x2apicLdr(id));
  }

  // ---- IA32_APIC_BASE ------------------------------------------------------------------------

  /**
   * WRMSR IA32_APIC_BASE (kvm_apic_set_base). Returns false for #GP: reserved bits (bits
   * 7:0 and 9, physical-address bits at and above MAXPHYADDR, EXTD without x2APIC), EXTD
   * without EN, and, for the guest, x2APIC -> xAPIC or disabled -> x2APIC (SDM Vol. 3A
   * 11.12.5, Figure 11-28). Disabling keeps the registers; re-enabling restores the APIC ID.
   */
  setApicBase(value: bigint, hostInitiated: boolean): boolean {
    value = BigInt.asUintN(64, value);
    if (value === this.apicBase) return true;
    const maxPhys = BigInt(this.opts.maxPhysAddr ?? 36);
    const reserved =
      ((MASK64 << maxPhys) & MASK64) |
      APIC_BASE_RESERVED_LOW |
      ((this.opts.x2apic ?? true) ? 0n : X2APIC_ENABLE);
    const oldMode = apicMode(this.apicBase);
    const newMode = apicMode(value);
    if ((value & reserved) !== 0n || newMode === ApicMode.Invalid) return false;
    if (!hostInitiated) {
      if (oldMode === ApicMode.X2apic && newMode === ApicMode.Xapic) return false;
      if (oldMode === ApicMode.Disabled && newMode === ApicMode.X2apic) return false;
    }
    this.applyApicBase(value);
    return true;
  }

  /** __kvm_apic_set_base(). */
  private applyApicBase(value: bigint): void {
    const changed = this.apicBase ^ value;
    this.apicBase = value;
    this.hwEnabled = (value & MSR_IA32_APICBASE_ENABLE) !== 0n;
    this.x2apicMode = apicMode(value) === ApicMode.X2apic;
    this.opts.onApicBaseChange?.(value);
    if (changed & MSR_IA32_APICBASE_ENABLE && value & MSR_IA32_APICBASE_ENABLE) this.setXapicId(this.vcpuId);
    if (changed & X2APIC_ENABLE) {
      if (value & X2APIC_ENABLE) this.setX2apicId(this.vcpuId);
      else if (value & MSR_IA32_APICBASE_ENABLE) this.setXapicId(this.vcpuId);
    }
  }

  // ---- xAPIC MMIO ----------------------------------------------------------------------------

  /**
   * A read at `offset` in the APIC page. A hardware-disabled or x2APIC-mode APIC answers
   * all ones (KVM_X86_QUIRK_LAPIC_MMIO_HOLE); registers are read 32 bits at a time and an
   * access that crosses a register's first dword or names no readable register reads 0.
   */
  read(offset: number, size: 1 | 2 | 4): number {
    const mask = size === 4 ? ALL_ONES32 : (1 << (8 * size)) - 1;
    if (!this.isPresent() || this.isX2apic()) return mask >>> 0;
    const v = this.readRegister(offset, size);
    return v === undefined ? 0 : v;
  }

  /** A write at `offset`: only aligned 32-bit writes reach a register (SDM Vol. 3A 11.4.1). */
  write(offset: number, size: 1 | 2 | 4, value: number): void {
    if (!this.isPresent() || this.isX2apic()) return;
    if (size !== 4 || (offset & 0xf) !== 0) return;
    this.writeRegister(offset & 0xff0, value >>> 0);
  }

  /** kvm_lapic_reg_read(): undefined when the access is invalid. */
  private readRegister(offset: number, size: number): number | undefined {
    const alignment = offset & 0xf;
    if (alignment + size > 4) return undefined;
    const reg = offset & ~0xf;
    if (reg > ApicReg.SELF_IPI || !this.isReadable(reg)) return undefined;
    const v = this.registerValue(reg);
    const bits = 8 * size;
    return bits === 32 ? v >>> 0 : (v >>> (8 * alignment)) & ((1 << bits) - 1);
  }

  private isReadable(reg: number): boolean {
    if (READABLE.has(reg)) return true;
    if (reg === ApicReg.LVTCMCI) return this.nrLvtEntries > Lvt.Cmci;
    return XAPIC_ONLY.has(reg) && !this.isX2apic();
  }

  /** __apic_read(). */
  private registerValue(reg: number): number {
    switch (reg) {
      case ApicReg.ARBPRI:
        return 0;
      case ApicReg.TMCCT:
        return this.timer.currentCount();
      case ApicReg.PROCPRI:
        this.updatePpr();
        return this.reg(reg);
      default:
        return this.reg(reg);
    }
  }

  /** kvm_lapic_reg_write(): returns false where an x2APIC MSR write raises #GP. */
  private writeRegister(reg: number, val: number): boolean {
    const x2 = this.isX2apic();
    switch (reg) {
      case ApicReg.ID:
        if (x2) return false;
        this.setXapicId(val >>> 24);
        return true;
      case ApicReg.TASKPRI:
        this.setTpr(val & 0xff);
        return true;
      case ApicReg.EOI:
        this.eoi();
        return true;
      case ApicReg.LDR:
        if (x2) return false;
        this.setReg(ApicReg.LDR, (val & APIC_LDR_MASK) >>> 0);
        return true;
      case ApicReg.DFR:
        if (x2) return false;
        this.setReg(ApicReg.DFR, (val | 0x0fffffff) >>> 0);
        return true;
      case ApicReg.SPIV:
        this.writeSpiv(val);
        return true;
      case ApicReg.ICR:
        // No delay on this bus: the send-pending bit always reads 0.
        val &= ~APIC_ICR_BUSY;
        this.sendIpi(val, this.reg(ApicReg.ICR2));
        this.setReg(ApicReg.ICR, val >>> 0);
        return true;
      case ApicReg.ICR2:
        if (x2) return false;
        this.setReg(ApicReg.ICR2, (val & 0xff000000) >>> 0);
        return true;
      case ApicReg.LVT0:
      case ApicReg.LVTTHMR:
      case ApicReg.LVTPC:
      case ApicReg.LVT1:
      case ApicReg.LVTERR:
      case ApicReg.LVTCMCI: {
        const index = reg === ApicReg.LVTCMCI ? Lvt.Cmci : (reg - ApicReg.LVTT) >>> 4;
        if (index >= this.nrLvtEntries) return false;
        if (!this.isSoftwareEnabled()) val |= APIC_LVT_MASKED;
        this.setReg(reg, (val & APIC_LVT_WRITABLE[index]!) >>> 0);
        return true;
      }
      case ApicReg.LVTT:
        if (!this.isSoftwareEnabled()) val |= APIC_LVT_MASKED;
        this.setReg(ApicReg.LVTT, (val & (APIC_LVT_WRITABLE[Lvt.Timer]! | this.timer.modeMask)) >>> 0);
        this.timer.updateLvtt(this.reg(ApicReg.LVTT));
        return true;
      case ApicReg.TMICT:
        this.timer.writeInitialCount(val);
        return true;
      case ApicReg.TDCR:
        this.timer.writeDivideConfig(val);
        return true;
      case ApicReg.ESR:
        // KVM reports no errors: ESR reads 0. x2APIC requires writes of 0 (11.12.1.2).
        return !(x2 && val !== 0);
      case ApicReg.SELF_IPI:
        // x2APIC only; bits 31:8 are reserved (SDM Vol. 3A 11.12.11).
        if (!x2 || (val & ~APIC_VECTOR_MASK) !== 0) return false;
        this.sendIpi(Shorthand.Self | val, 0);
        return true;
      default:
        return false;
    }
  }

  /** SVR: clearing bit 8 software-disables the APIC and masks every LVT (SDM Vol. 3A 11.4.7.2). */
  private writeSpiv(val: number): void {
    let mask = 0x3ff;
    if (this.reg(ApicReg.LVR) & APIC_LVR_DIRECTED_EOI) mask |= APIC_SPIV_DIRECTED_EOI;
    this.setReg(ApicReg.SPIV, val & mask);
    if (!(val & APIC_SPIV_APIC_ENABLED)) {
      for (let i = 0; i < this.nrLvtEntries; i++)
        this.setReg(lvtOffset(i), (this.reg(lvtOffset(i)) | APIC_LVT_MASKED) >>> 0);
      this.timer.updateLvtt(this.reg(ApicReg.LVTT));
    }
  }

  // ---- x2APIC MSRs and the other APIC MSRs -------------------------------------------------

  /** RDMSR of 0x1b, 0x6e0 or 0x800-0x8ff; undefined means #GP. */
  readMsr(index: number): bigint | undefined {
    if (index === MSR_IA32_APICBASE) return this.apicBase;
    if (index === MSR_IA32_TSC_DEADLINE) return this.isPresent() ? this.timer.readTscDeadline() : 0n;
    if (index < APIC_BASE_MSR || index > X2APIC_MSR_LAST || !this.isX2apic()) return undefined;
    const reg = (index - APIC_BASE_MSR) << 4;
    if (reg === ApicReg.ICR) return (BigInt(this.reg(ApicReg.ICR2)) << 32n) | BigInt(this.reg(ApicReg.ICR));
    const v = this.readRegister(reg, 4);
    return v === undefined ? undefined : BigInt(v);
  }

  /** WRMSR of 0x1b, 0x6e0 or 0x800-0x8ff; false means #GP (SDM Vol. 3A 11.12.1.2). */
  writeMsr(index: number, value: bigint, hostInitiated = false): boolean {
    value = BigInt.asUintN(64, value);
    if (index === MSR_IA32_APICBASE) return this.setApicBase(value, hostInitiated);
    if (index === MSR_IA32_TSC_DEADLINE) {
      if (this.isPresent()) this.timer.writeTscDeadline(value);
      return true;
    }
    if (index < APIC_BASE_MSR || index > X2APIC_MSR_LAST || !this.isX2apic()) return false;
    const reg = (index - APIC_BASE_MSR) << 4;
    const lo = Number(value & 0xffffffffn);
    const hi = Number(value >> 32n);
    if (reg === ApicReg.ICR) {
      // One 64-bit register in x2APIC mode (11.12.9); the destination is bits 63:32.
      if (lo & ICR_X2APIC_RESERVED) return false;
      const low = lo & ~APIC_ICR_BUSY;
      this.sendIpi(low, hi);
      this.setReg(ApicReg.ICR, low >>> 0);
      this.setReg(ApicReg.ICR2, hi);
      return true;
    }
    if (hi !== 0) return false;
    return this.writeRegister(reg, lo);
  }

  // ---- TPR / PPR / CR8 -----------------------------------------------------------------------

  /**
   * PPR (SDM Vol. 3A 11.8.3.1): TPR when its class is at least that of the highest in-service
   * vector, else that vector's class with sub-class 0.
   */
  private updatePpr(): number {
    const tpr = this.reg(ApicReg.TASKPRI);
    const isr = this.isr.highest();
    const isrv = isr < 0 ? 0 : isr;
    const ppr = (tpr & 0xf0) >= (isrv & 0xf0) ? tpr & 0xff : isrv & 0xf0;
    this.setReg(ApicReg.PROCPRI, ppr);
    return ppr;
  }

  private setTpr(tpr: number): void {
    this.setReg(ApicReg.TASKPRI, tpr);
    this.updatePpr();
  }

  /** MOV to CR8 sets TPR[7:4] (SDM Vol. 3A 11.8.6). */
  setCr8(cr8: number): void {
    this.setTpr((cr8 & 0xf) << 4);
  }

  getCr8(): number {
    return (this.reg(ApicReg.TASKPRI) & 0xf0) >>> 4;
  }

  // ---- EOI -----------------------------------------------------------------------------------

  /** EOI (SDM Vol. 3A 11.8.5): retires the highest ISR bit and broadcasts its vector. */
  private eoi(): void {
    const vector = this.isr.highest();
    if (vector < 0) return;
    this.isr.clear(vector);
    this.updatePpr();
    this.opts.bus.eoi(vector, this.tmr.test(vector) ? TriggerMode.Level : TriggerMode.Edge, this);
  }

  // ---- interrupts in -------------------------------------------------------------------------

  /** __apic_accept_irq(): a message that selected this APIC. */
  accept(msg: ApicMessage): boolean {
    switch (msg.deliveryMode) {
      case DeliveryMode.LowestPriority:
        this.arbitrationPriority++;
        return this.acceptFixed(msg);
      case DeliveryMode.Fixed:
        return this.acceptFixed(msg);
      case DeliveryMode.RemoteRead:
        this.pvUnhalted = true;
        this.kick();
        return true;
      case DeliveryMode.Smi:
        return false;
      case DeliveryMode.Nmi:
        this.nmiQueued++;
        this.kick();
        return true;
      case DeliveryMode.Init:
        // A level-triggered de-assert INIT (the 82489DX INIT level de-assert) does nothing.
        if (msg.trigger === TriggerMode.Level && !msg.level) return false;
        this.initPending = true;
        this.sipiVector = -1;
        this.kick();
        return true;
      case DeliveryMode.Startup:
        this.sipiVector = msg.vector;
        this.kick();
        return true;
      case DeliveryMode.ExtInt:
        this.extIntPending = true;
        this.kick();
        return true;
    }
  }

  /** Fixed and lowest-priority: IRR, with TMR recording the trigger mode (SDM Vol. 3A 11.8.4). */
  private acceptFixed(msg: ApicMessage): boolean {
    if (msg.trigger === TriggerMode.Level && !msg.level) return false;
    if (!this.isEnabled()) return false;
    if (msg.trigger === TriggerMode.Level) this.tmr.set(msg.vector);
    else this.tmr.clear(msg.vector);
    this.irr.set(msg.vector);
    this.kick();
    return true;
  }

  /**
   * An event on a local interrupt source (kvm_apic_local_deliver): the timer, LINT0/LINT1
   * pins (e.g. KVM's NMI watchdog through LVT0), thermal, performance counter, error.
   */
  deliverLocal(lvt: Lvt): boolean {
    if (lvt >= this.nrLvtEntries) return false;
    const offset = lvtOffset(lvt);
    const entry = this.reg(offset);
    if (!this.isPresent() || entry & APIC_LVT_MASKED) return false;
    // LVT0 in ExtINT mode is the 8259A's INTR path, polled through acceptsPicInterrupt().
    if ((entry & APIC_MODE_MASK) === DeliveryMode.ExtInt) return false;
    const accepted = this.accept({
      vector: entry & APIC_VECTOR_MASK,
      deliveryMode: (entry & APIC_MODE_MASK) as DeliveryMode,
      destMode: DestMode.Physical,
      dest: 0,
      level: true,
      trigger: entry & APIC_LVT_LEVEL_TRIGGER ? TriggerMode.Level : TriggerMode.Edge,
      shorthand: Shorthand.Self,
    });
    if (accepted && lvt === Lvt.Perf && (this.opts.intelCompatible ?? true))
      this.setReg(offset, (entry | APIC_LVT_MASKED) >>> 0);
    return accepted;
  }

  private kick(): void {
    this.opts.kick?.();
  }

  // ---- IPIs out ------------------------------------------------------------------------------

  /** kvm_apic_send_ipi(): the ICR's fields as a bus message (SDM Vol. 3A 11.6.1, Figure 11-12). */
  /**
   * KVM_HC_SEND_IPI's delivery to one physical APIC ID (kvm_pv_send_ipi: the ICR's vector,
   * delivery mode, level and trigger, no shorthand); returns how many APICs took it.
   */
  sendPvIpi(icrLow: number, apicId: number): number {
    return this.opts.bus.deliver(
      {
        vector: icrLow & APIC_VECTOR_MASK,
        deliveryMode: (icrLow & APIC_MODE_MASK) as DeliveryMode,
        destMode: DestMode.Physical,
        dest: apicId,
        level: (icrLow & APIC_INT_ASSERT) !== 0,
        trigger: icrLow & APIC_INT_LEVELTRIG ? TriggerMode.Level : TriggerMode.Edge,
        shorthand: Shorthand.None,
      },
      this,
    );
  }

  private sendIpi(icrLow: number, icrHigh: number): void {
    this.opts.bus.deliver(
      {
        vector: icrLow & APIC_VECTOR_MASK,
        deliveryMode: (icrLow & APIC_MODE_MASK) as DeliveryMode,
        destMode: icrLow & DestMode.Logical ? DestMode.Logical : DestMode.Physical,
        dest: this.isX2apic() ? icrHigh >>> 0 : icrHigh >>> 24,
        level: (icrLow & APIC_INT_ASSERT) !== 0,
        trigger: icrLow & APIC_INT_LEVELTRIG ? TriggerMode.Level : TriggerMode.Edge,
        shorthand: (icrLow & APIC_SHORT_MASK) as Shorthand,
      },
      this,
    );
  }

  // ---- the vCPU's side (PendingInterrupt, ApicEvents) ---------------------------------------

  private highestDeliverable(): number {
    if (!this.isPresent()) return -1;
    const ppr = this.updatePpr();
    const vector = this.irr.highest();
    // Only a priority class above the PPR class is delivered (SDM Vol. 3A 11.8.3.1).
    return vector < 0 || (vector & 0xf0) <= ppr ? -1 : vector;
  }

  hasInterrupt(): boolean {
    return this.highestDeliverable() >= 0;
  }

  acknowledge(): number {
    const vector = this.highestDeliverable();
    if (vector < 0) return -1;
    this.irr.clear(vector);
    this.isr.set(vector);
    this.updatePpr();
    return vector;
  }

  takeNmi(): boolean {
    if (this.nmiQueued === 0) return false;
    this.nmiQueued--;
    return true;
  }

  takeInit(): boolean {
    const pending = this.initPending;
    this.initPending = false;
    return pending;
  }

  takeSipi(): number {
    const vector = this.sipiVector;
    this.sipiVector = -1;
    return vector;
  }

  acceptsPicInterrupt(): boolean {
    if (!this.isPresent() || this.extIntPending) return true;
    const lvt0 = this.reg(ApicReg.LVT0);
    return (lvt0 & APIC_LVT_MASKED) === 0 && (lvt0 & APIC_MODE_MASK) === DeliveryMode.ExtInt;
  }

  extIntAcknowledged(): void {
    this.extIntPending = false;
  }

  // ---- state ---------------------------------------------------------------------------------

  /** KVM_GET_LAPIC (kvm_apic_get_state): TMCCT carries the current count. */
  getState(): LapicState {
    const regs = this.regs.slice();
    regs[ApicReg.TMCCT >>> 2] = this.registerValue(ApicReg.TMCCT);
    if (this.isX2apic()) regs[ApicReg.ID >>> 2] = (this.vcpuId << 24) >>> 0;
    return {
      apicBase: this.apicBase,
      regs,
      tscDeadline: this.timer.tscDeadline,
      nmiQueued: this.nmiQueued,
      initPending: this.initPending,
      sipiVector: this.sipiVector,
      extIntPending: this.extIntPending,
    };
  }

  /** KVM_SET_LAPIC (kvm_apic_set_state): restarts the timer from the saved current count. */
  setState(state: LapicState): LapicStateError | undefined {
    if (!(state.regs instanceof Uint32Array) || state.regs.length !== KVM_APIC_REG_SIZE / 4) {
      return {
        kind: 'bad-regs-length',
        length: (state.regs as { length?: number } | undefined)?.length ?? -1,
      };
    }
    if (!Number.isInteger(state.nmiQueued) || state.nmiQueued < 0)
      return { kind: 'bad-field', field: 'nmiQueued', value: state.nmiQueued };
    if (!Number.isInteger(state.sipiVector) || state.sipiVector < -1 || state.sipiVector > 0xff) {
      return { kind: 'bad-field', field: 'sipiVector', value: state.sipiVector };
    }
    if (!this.setApicBase(state.apicBase, true)) return { kind: 'bad-apic-base', apicBase: state.apicBase };
    this.timer.cancel();
    this.regs.set(state.regs);
    if (this.isX2apic()) this.setX2apicId(this.vcpuId);
    this.setVersion();
    this.updatePpr();
    this.timer.updateLvtt(this.reg(ApicReg.LVTT));
    this.timer.divide = divideCount(this.reg(ApicReg.TDCR));
    this.timer.tscDeadline = BigInt.asUintN(64, state.tscDeadline);
    this.timer.start(ApicReg.TMCCT);
    this.setReg(ApicReg.TMCCT, 0);
    this.nmiQueued = state.nmiQueued;
    this.initPending = state.initPending;
    this.sipiVector = state.sipiVector;
    this.extIntPending = state.extIntPending;
    this.arbitrationPriority = 0;
    return undefined;
  }
}
