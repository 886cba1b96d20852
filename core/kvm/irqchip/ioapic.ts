// The Intel 82093AA I/O APIC (datasheet order no. 290566) as KVM's in-kernel IOAPIC
// models it (arch/x86/kvm/ioapic.c): 24 redirection entries behind the IOREGSEL/IOWIN
// pair, version 0x11 (no EOI register: EOIs arrive as the local APICs' EOI broadcast).
//
// Interrupt lines: `setIrq(pin, level, source)` takes the asserted state of a line, and
// several sources may share a pin (KVM's irq_states: the line is the OR of its sources).
// As in KVM the polarity bit is stored and read back but does not invert the line: the
// board wiring presents every line active-high. An edge-triggered entry fires on each
// 0 -> 1 transition of the line; a level-triggered one fires while the line is high and
// Remote IRR is clear, sets Remote IRR when a local APIC accepts it, and fires again
// after the EOI if the line is still high (datasheet 3.2.4; SDM Vol. 3A 11.8.5).
//
// Not modelled: KVM's RTC (GSI 8) EOI tracking for KVM_IRQ_LINE_STATUS coalescing
// reports, and mask notifiers (the in-kernel PIT's reinjection uses them; our PIT is a
// VMM device).

import { DestMode, TriggerMode, type ApicBus, type ApicTarget, type EoiListener } from './apic-bus.ts';
import { Shorthand, type DeliveryMode } from './apic-regs.ts';
import type { TimerHandle, TimerQueue, Clock } from '../clock.ts';

export const IOAPIC_NUM_PINS = 24;
/** KVM's IOAPIC_VERSION_ID: the 82093AA's version (datasheet 3.2.2, IOAPICVER). */
export const IOAPIC_VERSION_ID = 0x11;
export const IOAPIC_DEFAULT_BASE_ADDRESS = 0xfec00000;
export const IOAPIC_MEM_LENGTH = 0x100;

/** Direct registers: offsets in the MMIO window (datasheet 3.1). */
export const IOAPIC_REG_SELECT = 0x00;
export const IOAPIC_REG_WINDOW = 0x10;
/** Indirect registers: IOREGSEL values (datasheet 3.2). */
export const IOAPIC_REG_APIC_ID = 0x00;
export const IOAPIC_REG_VERSION = 0x01;
export const IOAPIC_REG_ARB_ID = 0x02;
export const IOAPIC_REG_REDTBL_BASE = 0x10;

/** Redirection-table entry bits 31:0 (datasheet 3.2.4, IOREDTBL); bits 63:56 are the destination. */
export const IOAPIC_RTE_VECTOR = 0xff;
export const IOAPIC_RTE_DELIVERY_MODE = 0x700;
export const IOAPIC_RTE_DEST_LOGICAL = 1 << 11;
export const IOAPIC_RTE_DELIVERY_STATUS = 1 << 12;
export const IOAPIC_RTE_POLARITY_LOW = 1 << 13;
export const IOAPIC_RTE_REMOTE_IRR = 1 << 14;
export const IOAPIC_RTE_LEVEL = 1 << 15;
export const IOAPIC_RTE_MASKED = 1 << 16;

/** KVM's interrupt-storm guard: after this many EOI re-deliveries in a row, wait 10 ms. */
export const IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT = 10000;
export const IOAPIC_EOI_STORM_DELAY_NS = 10_000_000;

/** Plain snapshot data (KVM_GET_IRQCHIP's struct kvm_ioapic_state). */
export interface IoapicState {
  baseAddress: number;
  ioregsel: number;
  id: number;
  /** Lines asserted and not yet delivered, bit per pin. */
  irr: number;
  /** 24 entries as [bits 31:0, bits 63:32]. */
  redirectionTable: [number, number][];
}

export type IoapicStateError = { kind: 'bad-field'; field: string; value: unknown };

export interface IoapicOptions {
  bus: ApicBus;
  clock: Clock;
  timers: TimerQueue;
}

export class Ioapic implements EoiListener {
  baseAddress = IOAPIC_DEFAULT_BASE_ADDRESS;
  ioregsel = 0;
  /** IOAPICID bits 27:24. */
  id = 0;
  /** The asserted lines. */
  irr = 0;
  /** Edge lines whose current assertion has been delivered. */
  private irrDelivered = 0;
  readonly low = new Uint32Array(IOAPIC_NUM_PINS);
  readonly high = new Uint32Array(IOAPIC_NUM_PINS);
  /** Per pin, the bitmap of sources driving the line high. */
  private readonly lineSources = new Uint32Array(IOAPIC_NUM_PINS);
  /** Per pin, EOIs in a row that re-delivered a still-asserted level interrupt. */
  private readonly successiveEoi = new Uint32Array(IOAPIC_NUM_PINS);
  private eoiInject: TimerHandle | undefined;
  private readonly ackListeners: ((pin: number) => void)[] = [];

  constructor(private readonly opts: IoapicOptions) {
    opts.bus.addEoiListener(this);
    this.reset();
  }

  /** Power-on (kvm_ioapic_reset): every entry masked, nothing pending, ID 0. */
  reset(): void {
    if (this.eoiInject) this.opts.timers.cancel(this.eoiInject);
    this.eoiInject = undefined;
    this.low.fill(IOAPIC_RTE_MASKED);
    this.high.fill(0);
    this.baseAddress = IOAPIC_DEFAULT_BASE_ADDRESS;
    this.ioregsel = 0;
    this.irr = 0;
    this.irrDelivered = 0;
    this.id = 0;
    this.lineSources.fill(0);
    this.successiveEoi.fill(0);
  }

  /** Called with the pin of every EOI'd vector (kvm_register_irq_ack_notifier). */
  addAckListener(listener: (pin: number) => void): void {
    this.ackListeners.push(listener);
  }

  // ---- MMIO ----------------------------------------------------------------------------------

  read(offset: number, size: 1 | 2 | 4): number {
    let result: number;
    switch (offset & 0xff) {
      case IOAPIC_REG_SELECT:
        result = this.ioregsel;
        break;
      case IOAPIC_REG_WINDOW:
        result = this.readIndirect();
        break;
      default:
        result = 0;
    }
    return size === 4 ? result >>> 0 : result & ((1 << (8 * size)) - 1);
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    const data = size === 4 ? value >>> 0 : value & ((1 << (8 * size)) - 1);
    switch (offset & 0xff) {
      case IOAPIC_REG_SELECT:
        this.ioregsel = data & 0xff; // an 8-bit register
        break;
      case IOAPIC_REG_WINDOW:
        this.writeIndirect(data);
        break;
    }
  }

  private redirectionIndex(): number {
    const index = (this.ioregsel - IOAPIC_REG_REDTBL_BASE) >> 1;
    return index >= 0 && index < IOAPIC_NUM_PINS ? index : -1;
  }

  private readIndirect(): number {
    switch (this.ioregsel) {
      case IOAPIC_REG_VERSION:
        // Bits 23:16: maximum redirection entry (datasheet 3.2.2).
        return (((IOAPIC_NUM_PINS - 1) & 0xff) << 16) | (IOAPIC_VERSION_ID & 0xff);
      case IOAPIC_REG_APIC_ID:
      case IOAPIC_REG_ARB_ID:
        return (this.id & 0xf) << 24;
      default: {
        const index = this.redirectionIndex();
        if (index < 0) return 0xffffffff;
        return this.ioregsel & 1 ? this.high[index]! : this.low[index]!;
      }
    }
  }

  private writeIndirect(val: number): void {
    switch (this.ioregsel) {
      case IOAPIC_REG_VERSION:
      case IOAPIC_REG_ARB_ID:
        return; // read-only
      case IOAPIC_REG_APIC_ID:
        this.id = (val >>> 24) & 0xf;
        return;
    }
    const index = this.redirectionIndex();
    if (index < 0) return;
    if (this.ioregsel & 1) {
      this.high[index] = val;
      return this.afterEntryWrite(index);
    }
    // Remote IRR and delivery status are read-only.
    const readOnly = IOAPIC_RTE_REMOTE_IRR | IOAPIC_RTE_DELIVERY_STATUS;
    let low = (val & ~readOnly) | (this.low[index]! & readOnly);
    // Linux and Xen rely on Remote IRR clearing when an entry is made edge-triggered, an EOI
    // for IOAPICs that lack the EOI register (KVM's comment in ioapic_write_indirect).
    if (!(low & IOAPIC_RTE_LEVEL)) low &= ~IOAPIC_RTE_REMOTE_IRR;
    this.low[index] = low >>> 0;
    this.afterEntryWrite(index);
  }

  /** An entry changed: a level-triggered line that is high is (re)evaluated at once. */
  private afterEntryWrite(index: number): void {
    if (this.low[index]! & IOAPIC_RTE_LEVEL && this.irr & (1 << index)) this.service(index);
  }

  // ---- interrupt lines -----------------------------------------------------------------------

  /**
   * Drives pin `pin` from `source` (kvm_ioapic_set_irq). Returns KVM_IRQ_LINE_STATUS's
   * answer: 1 or more = delivered to that many APICs (or line lowered), 0 = coalesced
   * (an edge with the line already high), -1 = masked, Remote IRR pending or no destination.
   */
  setIrq(pin: number, level: boolean, source = 0): number {
    if (!Number.isInteger(pin) || pin < 0 || pin >= IOAPIC_NUM_PINS)
      throw new RangeError(`IOAPIC pin ${pin}`);
    if (!Number.isInteger(source) || source < 0 || source > 31)
      throw new RangeError(`IOAPIC irq source ${source}`);
    const bit = 1 << source;
    this.lineSources[pin] = level ? this.lineSources[pin]! | bit : this.lineSources[pin]! & ~bit;
    return this.setLine(pin, this.lineSources[pin] !== 0);
  }

  /** ioapic_set_irq(). */
  private setLine(pin: number, level: boolean): number {
    const mask = 1 << pin;
    if (!level) {
      this.irr &= ~mask;
      return 1;
    }
    const edge = !(this.low[pin]! & IOAPIC_RTE_LEVEL);
    const oldIrr = this.irr;
    this.irr |= mask;
    if (edge) {
      this.irrDelivered &= ~mask;
      if (oldIrr === this.irr) return 0;
    }
    return this.service(pin);
  }

  /** ioapic_service(): sends the entry's message unless masked or awaiting EOI. */
  private service(pin: number): number {
    const low = this.low[pin]!;
    const level = (low & IOAPIC_RTE_LEVEL) !== 0;
    if (low & IOAPIC_RTE_MASKED || (level && low & IOAPIC_RTE_REMOTE_IRR)) return -1;
    if (!level) this.irrDelivered |= 1 << pin;
    const r = this.opts.bus.deliver({
      vector: low & IOAPIC_RTE_VECTOR,
      deliveryMode: (low & IOAPIC_RTE_DELIVERY_MODE) as DeliveryMode,
      destMode: low & IOAPIC_RTE_DEST_LOGICAL ? DestMode.Logical : DestMode.Physical,
      dest: this.high[pin]! >>> 24,
      level: true,
      trigger: level ? TriggerMode.Level : TriggerMode.Edge,
      shorthand: Shorthand.None,
    });
    // As in KVM, "no destination" (-1) also leaves Remote IRR set until an EOI or reprogramming.
    if (r !== 0 && level) this.low[pin] = (this.low[pin]! | IOAPIC_RTE_REMOTE_IRR) >>> 0;
    return r;
  }

  // ---- EOI -----------------------------------------------------------------------------------

  /** A local APIC's EOI broadcast (kvm_ioapic_update_eoi). */
  eoi(vector: number, trigger: TriggerMode, _from: ApicTarget): void {
    for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
      if ((this.low[pin]! & IOAPIC_RTE_VECTOR) !== vector) continue;
      for (const l of this.ackListeners) l(pin);
      if (trigger !== TriggerMode.Level) continue;
      this.low[pin] = (this.low[pin]! & ~IOAPIC_RTE_REMOTE_IRR) >>> 0;
      if (!(this.low[pin]! & IOAPIC_RTE_MASKED) && this.irr & (1 << pin)) {
        if (++this.successiveEoi[pin]! === IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT) {
          // Real hardware does not re-deliver instantly; a guest that never quiets its
          // device still makes progress (KVM's delayed eoi_inject work).
          this.successiveEoi[pin] = 0;
          this.scheduleEoiInject();
        } else {
          this.service(pin);
        }
      } else {
        this.successiveEoi[pin] = 0;
      }
    }
  }

  private scheduleEoiInject(): void {
    if (this.eoiInject) return;
    this.eoiInject = this.opts.timers.schedule(this.opts.clock.nowNs() + IOAPIC_EOI_STORM_DELAY_NS, () => {
      this.eoiInject = undefined;
      for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        const low = this.low[pin]!;
        if (low & IOAPIC_RTE_LEVEL && this.irr & (1 << pin) && !(low & IOAPIC_RTE_REMOTE_IRR))
          this.service(pin);
      }
    });
  }

  // ---- state ---------------------------------------------------------------------------------

  /** KVM_GET_IRQCHIP (kvm_get_ioapic): edge lines already delivered do not show in irr. */
  getState(): IoapicState {
    return {
      baseAddress: this.baseAddress,
      ioregsel: this.ioregsel,
      id: this.id,
      irr: (this.irr & ~this.irrDelivered) >>> 0,
      redirectionTable: Array.from(
        { length: IOAPIC_NUM_PINS },
        (_, i) => [this.low[i]!, this.high[i]!] as [number, number],
      ),
    };
  }

  /** KVM_SET_IRQCHIP (kvm_set_ioapic): the saved lines are asserted again through their entries. */
  setState(state: IoapicState): IoapicStateError | undefined {
    const u32 = (v: unknown): v is number =>
      typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
    if (!u32(state.baseAddress)) return { kind: 'bad-field', field: 'baseAddress', value: state.baseAddress };
    if (!u32(state.ioregsel) || state.ioregsel > 0xff)
      return { kind: 'bad-field', field: 'ioregsel', value: state.ioregsel };
    if (!u32(state.id) || state.id > 0xf) return { kind: 'bad-field', field: 'id', value: state.id };
    if (!u32(state.irr) || state.irr >= 1 << IOAPIC_NUM_PINS)
      return { kind: 'bad-field', field: 'irr', value: state.irr };
    const table = state.redirectionTable;
    if (
      !Array.isArray(table) ||
      table.length !== IOAPIC_NUM_PINS ||
      !table.every((e) => Array.isArray(e) && e.length === 2 && u32(e[0]) && u32(e[1]))
    ) {
      return { kind: 'bad-field', field: 'redirectionTable', value: table };
    }
    this.baseAddress = state.baseAddress;
    this.ioregsel = state.ioregsel;
    this.id = state.id;
    table.forEach(([lo, hi], i) => {
      this.low[i] = lo;
      this.high[i] = hi;
    });
    this.irr = 0;
    this.irrDelivered = 0;
    for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) if (state.irr & (1 << pin)) this.setLine(pin, true);
    return undefined;
  }
}
