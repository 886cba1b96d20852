// A local APIC as other threads see it. With the in-kernel irqchip each vCPU's APIC runs in
// that vCPU's worker (lapic.ts), but interrupt messages come from everywhere: the IOAPIC
// and MSIs on the VMM thread, IPIs from other vCPU workers. KVM serializes those with
// locks around its struct kvm_lapic; here the part others touch lives in shared memory
// (core/cpu/layout.ts `apicPage` and the apic* fields) and is changed with Atomics only:
//   - the register page: IRR and TMR bits are set with Atomics.or (vector-set.ts), and
//     ID, LDR, DFR and SVR are read for destination matching (SDM Vol. 3A 11.6.2);
//   - `apicBaseLo`: IA32_APIC_BASE bits 31:0, for EN and EXTD (11.4.4, 11.12.1);
//   - `apicEvents`: bits for what the owner must look at; the Wasm dispatcher returns to
//     the run loop while any is set (jit/dispatcher.ts), so an event reaches a running
//     vCPU at its next block boundary, and `wakeSeq` + Atomics.notify wakes a halted one.
import { MAX_VCPUS, vcpuField, vmField } from '../../cpu/layout.ts';
import { TriggerMode, type ApicMessage, type ApicTarget } from './apic-bus.ts';
import { APIC_SPIV_APIC_ENABLED, ApicReg, DeliveryMode } from './apic-regs.ts';

/** Bits of `apicEvents`. */
export const enum ApicEvent {
  /** A fixed or lowest-priority vector was set in IRR. */
  Irr = 1 << 0,
  Nmi = 1 << 1,
  Init = 1 << 2,
  Sipi = 1 << 3,
  /** An ExtINT message or an 8259A vector waiting in `extIntVector`. */
  ExtInt = 1 << 4,
  /** The VMM thread's timer pump saw `timerDeadlineUs` pass. */
  Timer = 1 << 5,
  /** Something else changed (a REMRD "kick", KVM_SET_MP_STATE): look again. */
  Poke = 1 << 6,
}

/** `extIntVector` besides a vector: nothing, or "the 8259A has a request; ask when IF = 1" (kernel-irqchip.ts). */
export const EXTINT_NONE = -1;
export const EXTINT_REQUEST = -2;

/** IA32_APIC_BASE bits 11 (EN) and 10 (EXTD) in `apicBaseLo` (SDM Vol. 3A Figure 11-5). */
const APIC_BASE_EN = 1 << 11;
const APIC_BASE_EXTD = 1 << 10;

/** The shared words of one vCPU's interrupt state, as typed-array indices. */
export class SharedVcpuIrq {
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
  /** The APIC register page (256 words). */
  readonly page: Uint32Array;

  constructor(
    buffer: ArrayBufferLike,
    readonly vcpuId: number,
  ) {
    this.i32 = new Int32Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.page = new Uint32Array(buffer, vcpuField(vcpuId, 'apicPage'), 256);
  }

  index(name: 'apicBaseLo' | 'apicEvents' | 'apicNmiCount' | 'apicSipiVector' | 'extIntVector' | 'wakeSeq' | 'mpState'): number {
    return vcpuField(this.vcpuId, name) >>> 2;
  }

  get apicBaseLo(): number {
    return Atomics.load(this.u32, this.index('apicBaseLo'));
  }

  /** Sets event bits and wakes the vCPU if it sleeps in HLT or wait-for-SIPI. */
  raise(events: number): void {
    Atomics.or(this.u32, this.index('apicEvents'), events);
    this.wake();
  }

  wake(): void {
    const w = this.index('wakeSeq');
    Atomics.add(this.i32, w, 1);
    Atomics.notify(this.i32, w);
  }
}

/** The ApicTarget of a vCPU's local APIC for every thread but its owner. */
export class SharedApic implements ApicTarget {
  readonly arbitrationPriority = 0;
  readonly shared: SharedVcpuIrq;

  constructor(buffer: ArrayBufferLike, readonly vcpuId: number) {
    this.shared = new SharedVcpuIrq(buffer, vcpuId);
  }

  private reg(offset: ApicReg): number {
    return Atomics.load(this.shared.page, offset >>> 2);
  }

  isPresent(): boolean {
    return (this.shared.apicBaseLo & APIC_BASE_EN) !== 0;
  }

  isSoftwareEnabled(): boolean {
    return (this.reg(ApicReg.SPIV) & APIC_SPIV_APIC_ENABLED) !== 0;
  }

  isX2apic(): boolean {
    return (this.shared.apicBaseLo & (APIC_BASE_EN | APIC_BASE_EXTD)) === (APIC_BASE_EN | APIC_BASE_EXTD);
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

  /** __apic_accept_irq() through shared memory; the owner takes the events (vcpu-apic.ts). */
  accept(msg: ApicMessage): boolean {
    const sh = this.shared;
    switch (msg.deliveryMode) {
      case DeliveryMode.LowestPriority:
      case DeliveryMode.Fixed: {
        if (msg.trigger === TriggerMode.Level && !msg.level) return false;
        if (!this.isPresent() || !this.isSoftwareEnabled()) return false;
        const bit = 1 << (msg.vector & 31);
        const word = 0x10 * (msg.vector >>> 5);
        if (msg.trigger === TriggerMode.Level) Atomics.or(sh.page, (ApicReg.TMR + word) >>> 2, bit);
        else Atomics.and(sh.page, (ApicReg.TMR + word) >>> 2, ~bit);
        Atomics.or(sh.page, (ApicReg.IRR + word) >>> 2, bit);
        sh.raise(ApicEvent.Irr);
        return true;
      }
      case DeliveryMode.RemoteRead:
        sh.raise(ApicEvent.Poke);
        return true;
      case DeliveryMode.Smi:
        return false;
      case DeliveryMode.Nmi:
        Atomics.add(sh.u32, sh.index('apicNmiCount'), 1);
        sh.raise(ApicEvent.Nmi);
        return true;
      case DeliveryMode.Init:
        if (msg.trigger === TriggerMode.Level && !msg.level) return false;
        sh.raise(ApicEvent.Init);
        return true;
      case DeliveryMode.Startup:
        Atomics.store(sh.u32, sh.index('apicSipiVector'), msg.vector & 0xff);
        sh.raise(ApicEvent.Sipi);
        return true;
      case DeliveryMode.ExtInt:
        sh.raise(ApicEvent.ExtInt);
        return true;
    }
  }
}

/** Shared views of every possible vCPU's APIC, in vCPU order (absent ones are off the bus). */
export function sharedApics(buffer: ArrayBufferLike, except?: number): Map<number, SharedApic> {
  const out = new Map<number, SharedApic>();
  for (let id = 0; id < MAX_VCPUS; id++) if (id !== except) out.set(id, new SharedApic(buffer, id));
  return out;
}

/** The VM-wide doorbell a vCPU rings for the VMM thread (EOIs for the IOAPIC, new timer deadlines). */
export function ringVmmDoorbell(i32: Int32Array): void {
  const at = vmField('vmmDoorbell') >>> 2;
  Atomics.add(i32, at, 1);
  Atomics.notify(i32, at);
}

