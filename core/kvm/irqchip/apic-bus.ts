// The APIC bus (the system bus on xAPIC parts): interrupt messages from the IOAPIC, from
// MSIs and from a local APIC's ICR reach the local APICs whose destination matches
// (SDM Vol. 3A 11.6.2 "Determining IPI Destination", 11.12.10 for x2APIC). Semantics are
// KVM's kvm_irq_delivery_to_apic() and kvm_apic_match_dest() (arch/x86/kvm/lapic.c); the
// bus walks every APIC in vCPU order, which is KVM's reference path (its optimized map
// gives the same answers and falls back to this walk whenever IDs alias).
//
// EOIs travel the other way: a local APIC broadcasts the vector of every EOI to the
// listeners (the IOAPIC), which clear Remote IRR for level-triggered entries (11.8.5).

import {
  APIC_BROADCAST,
  APIC_DEST_LOGICAL,
  APIC_DFR_CLUSTER,
  APIC_DFR_FLAT,
  DeliveryMode,
  Shorthand,
  X2APIC_BROADCAST,
} from './apic-regs.ts';

/** ICR bit 11 / IOAPIC redirection bit 11 / MSI address bit 2, as KVM's APIC_DEST_* values. */
export const enum DestMode {
  Physical = 0,
  Logical = APIC_DEST_LOGICAL,
}

export const enum TriggerMode {
  Edge = 0,
  Level = 1,
}

/** One interrupt message (KVM's struct kvm_lapic_irq). */
export interface ApicMessage {
  vector: number;
  deliveryMode: DeliveryMode;
  destMode: DestMode;
  /** 8-bit xAPIC destination (ID or logical mask), or a 32-bit x2APIC one. */
  dest: number;
  /** Assert (true) or de-assert: a level-triggered de-assert is not delivered. */
  level: boolean;
  trigger: TriggerMode;
  shorthand: Shorthand;
  /** MSI redirection hint: deliver to one of the destinations, as lowest priority does. */
  redirectionHint?: boolean;
}

/** What the bus needs of a local APIC. */
export interface ApicTarget {
  /** The vCPU id, which is also the x2APIC ID (KVM fixes the x2APIC ID to vcpu_id). */
  readonly vcpuId: number;
  /** IA32_APIC_BASE.EN: a hardware-disabled APIC is off the bus (kvm_apic_present). */
  isPresent(): boolean;
  /** SVR bit 8. */
  isSoftwareEnabled(): boolean;
  isX2apic(): boolean;
  /** The 8-bit xAPIC ID (APIC ID register bits 31:24). */
  xapicId(): number;
  /** The LDR register as stored. */
  logicalDestination(): number;
  /** The DFR register as stored. */
  destinationFormat(): number;
  /** KVM's apic_arb_prio: lowest-priority deliveries accepted so far. */
  readonly arbitrationPriority: number;
  /** Accepts a message that selected this APIC; returns whether it took it (__apic_accept_irq). */
  accept(msg: ApicMessage): boolean;
}

export interface EoiListener {
  /** An EOI for `vector`, with the trigger mode from the APIC's TMR (kvm_ioapic_update_eoi). */
  eoi(vector: number, trigger: TriggerMode, from: ApicTarget): void;
}

/** MSI address and data fields (SDM Vol. 3A 11.11.1 and 11.11.2, Figures 11-30 and 11-31). */
const MSI_ADDR_DEST_ID_SHIFT = 12;
const MSI_ADDR_REDIR_HINT = 1 << 3;
const MSI_ADDR_DEST_MODE_LOGICAL = 1 << 2;
const MSI_DATA_TRIGGER_LEVEL = 1 << 15;

export function isLowestPriority(msg: ApicMessage): boolean {
  return msg.deliveryMode === DeliveryMode.LowestPriority || msg.redirectionHint === true;
}

export class ApicBus {
  private readonly targets: ApicTarget[] = [];

  /** APICs on the bus: with APIC ID = vCPU id, the highest ID is this minus one. */
  get targetCount(): number {
    return this.targets.length;
  }
  private readonly eoiListeners: EoiListener[] = [];
  /**
   * KVM's `vector_hashing` module parameter (default on): a lowest-priority message goes to
   * destination number (vector mod count) among the software-enabled matches; off, to the
   * match that has accepted the fewest lowest-priority messages (apic_arb_prio).
   */
  vectorHashing = true;
  /**
   * KVM's x2APIC broadcast quirk (on unless KVM_CAP_X2APIC_API disables it): a non-IPI
   * message to 0xff reaches x2APIC-mode APICs as the x2APIC broadcast 0xffffffff.
   */
  x2apicBroadcastQuirk = true;

  attach(target: ApicTarget): void {
    if (this.targets.includes(target)) throw new Error(`APIC bus: vCPU ${target.vcpuId} attached twice`);
    this.targets.push(target);
  }

  detach(target: ApicTarget): void {
    const i = this.targets.indexOf(target);
    if (i >= 0) this.targets.splice(i, 1);
  }

  addEoiListener(listener: EoiListener): void {
    this.eoiListeners.push(listener);
  }

  /** Local APIC EOI broadcast (SDM Vol. 3A 11.8.5). */
  eoi(vector: number, trigger: TriggerMode, from: ApicTarget): void {
    for (const l of this.eoiListeners) l.eoi(vector, trigger, from);
  }

  /**
   * Delivers a message; `source` is the sending APIC for IPIs, absent for IOAPIC and MSI
   * messages. Returns -1 when no APIC matched, else how many accepted it.
   */
  deliver(message: ApicMessage, source?: ApicTarget): number {
    let msg = message;
    if (msg.shorthand === Shorthand.Self) return source ? (source.accept(msg) ? 1 : 0) : 0;
    if (msg.destMode === DestMode.Physical && msg.dest === APIC_BROADCAST && isLowestPriority(msg)) {
      // "apic: phys broadcast and lowest prio": KVM delivers it as fixed to everyone.
      msg = { ...msg, deliveryMode: DeliveryMode.Fixed, redirectionHint: false };
    }
    const lowest = isLowestPriority(msg);
    let r = -1;
    const candidates: ApicTarget[] = [];
    for (const t of this.targets) {
      if (!t.isPresent() || !this.matchDest(t, source, msg.shorthand, msg.dest, msg.destMode)) continue;
      if (!lowest) {
        if (r < 0) r = 0;
        if (t.accept(msg)) r++;
      } else if (t.isSoftwareEnabled()) {
        candidates.push(t);
      }
    }
    if (candidates.length > 0) {
      const chosen = this.vectorHashing
        ? candidates[msg.vector % candidates.length]!
        : leastArbitrated(candidates);
      r = chosen.accept(msg) ? 1 : 0;
    }
    return r;
  }

  /** A message-signalled interrupt write to 0xFEExxxxx (kvm_set_msi_irq). */
  deliverMsi(addressLo: number, data: number): number {
    return this.deliver({
      vector: data & 0xff,
      deliveryMode: (data & 0x700) as DeliveryMode,
      destMode: addressLo & MSI_ADDR_DEST_MODE_LOGICAL ? DestMode.Logical : DestMode.Physical,
      dest: (addressLo >>> MSI_ADDR_DEST_ID_SHIFT) & 0xff,
      level: true,
      trigger: data & MSI_DATA_TRIGGER_LEVEL ? TriggerMode.Level : TriggerMode.Edge,
      shorthand: Shorthand.None,
      redirectionHint: (addressLo & MSI_ADDR_REDIR_HINT) !== 0,
    });
  }

  /** kvm_apic_match_dest(). */
  matchDest(
    target: ApicTarget,
    source: ApicTarget | undefined,
    shorthand: Shorthand,
    dest: number,
    destMode: DestMode,
  ): boolean {
    switch (shorthand) {
      case Shorthand.None: {
        const mda = this.messageDestination(dest >>> 0, source, target);
        return destMode === DestMode.Physical ? matchPhysical(target, mda) : matchLogical(target, mda);
      }
      case Shorthand.Self:
        return target === source;
      case Shorthand.AllIncludingSelf:
        return true;
      case Shorthand.AllExcludingSelf:
        return target !== source;
    }
  }

  /** kvm_apic_mda(): the message destination address as `target` sees it. */
  private messageDestination(dest: number, source: ApicTarget | undefined, target: ApicTarget): number {
    if (this.x2apicBroadcastQuirk && source === undefined && dest === APIC_BROADCAST && target.isX2apic())
      return X2APIC_BROADCAST;
    return dest;
  }
}

function isBroadcast(target: ApicTarget, mda: number): boolean {
  return mda === (target.isX2apic() ? X2APIC_BROADCAST : APIC_BROADCAST);
}

/** Physical destination mode (SDM Vol. 3A 11.6.2.1; KVM's hot-plug rule for IDs above 0xff). */
function matchPhysical(target: ApicTarget, mda: number): boolean {
  if (isBroadcast(target, mda)) return true;
  if (target.isX2apic() || mda > 0xff) return mda === target.vcpuId;
  return mda === target.xapicId();
}

/** Logical destination mode: flat and cluster models, x2APIC clusters (11.6.2.2, 11.12.10.2). */
function matchLogical(target: ApicTarget, mda: number): boolean {
  if (isBroadcast(target, mda)) return true;
  const ldr = target.logicalDestination();
  if (target.isX2apic()) return ldr >>> 16 === mda >>> 16 && (ldr & mda & 0xffff) !== 0;
  const logicalId = ldr >>> 24;
  switch (target.destinationFormat() >>> 0) {
    case APIC_DFR_FLAT:
      return (logicalId & mda) !== 0;
    case APIC_DFR_CLUSTER:
      return logicalId >>> 4 === mda >>> 4 && (logicalId & mda & 0xf) !== 0;
    default:
      return false;
  }
}

/** kvm_apic_compare_prio(): the first of the least-arbitrated destinations. */
function leastArbitrated(candidates: ApicTarget[]): ApicTarget {
  let best = candidates[0]!;
  for (const t of candidates) if (t.arbitrationPriority < best.arbitrationPriority) best = t;
  return best;
}
