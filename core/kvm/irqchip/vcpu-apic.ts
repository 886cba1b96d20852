// The vCPU's side of the in-kernel irqchip, in the vCPU's worker: its local APIC (lapic.ts)
// over the shared register page, the APIC bus as this thread sees it (itself plus the
// shared views of the other APICs), the xAPIC page and the APIC MSRs served without an
// exit, and what the run loop asks before each block (KVM's kvm_cpu_has_interrupt,
// kvm_cpu_get_interrupt and kvm_apic_accept_events, arch/x86/kvm/irq.c and lapic.c).
//
// Events from other threads arrive as `apicEvents` bits (shared-apic.ts); `poll()` takes
// them, runs due timers and recomputes `pendingIrq`, which the Wasm dispatcher checks with
// IF=1, so a deliverable interrupt stops the block chain at the next block boundary.
import type { Cpu } from '../../cpu/cpu.ts';
import { vcpuField, vmField } from '../../cpu/layout.ts';
import { TSC_HZ } from '../../cpu/msr.ts';
import { MAXPHYADDR } from '../../cpu/paging/entry.ts';
import { ApicBus, TriggerMode, type ApicTarget } from './apic-bus.ts';
import {
  APIC_BASE_MSR,
  KVM_APIC_REG_SIZE,
  LAPIC_MMIO_LENGTH,
  MSR_IA32_APICBASE,
  MSR_IA32_TSC_DEADLINE,
  X2APIC_MSR_LAST,
} from './apic-regs.ts';
import { HostClock, PolledTimerQueue, vmClockEpochMs } from './host-clock.ts';
import { Lapic } from './lapic.ts';
import type { HypercallTarget } from '../hypercall.ts';
import { ApicEvent, EXTINT_NONE, EXTINT_REQUEST, SharedVcpuIrq, ringVmmDoorbell, sharedApics } from './shared-apic.ts';
import type { Clock } from '../clock.ts';

/** KVM's struct kvm_mp_state values (include/uapi/linux/kvm.h). */
export const enum MpState {
  Runnable = 0,
  Uninitialized = 1,
  InitReceived = 2,
  Halted = 3,
  SipiReceived = 4,
}

/** What the run loop does next about events that do not wait for IF (INIT, SIPI, NMI). */
export type ApicAction = { kind: 'init' } | { kind: 'sipi'; vector: number } | { kind: 'nmi' } | { kind: 'none' };

export class VcpuApic {
  readonly lapic: Lapic;
  readonly bus = new ApicBus();
  readonly shared: SharedVcpuIrq;
  readonly clock: Clock;
  readonly timers: PolledTimerQueue;
  private readonly i32: Int32Array;
  private readonly deadline: BigInt64Array;
  private readonly deadlineIndex: number;
  private published = 0n;
  private sipiPending = -1;
  private initPending = false;

  constructor(private readonly cpu: Cpu) {
    const buffer = cpu.memory.buffer;
    const id = cpu.id;
    this.i32 = new Int32Array(buffer);
    this.deadline = new BigInt64Array(buffer);
    this.deadlineIndex = vcpuField(id, 'timerDeadlineUs') >>> 3;
    this.shared = new SharedVcpuIrq(buffer, id);
    const clock = new HostClock(vmClockEpochMs(buffer));
    this.clock = clock;
    this.timers = new PolledTimerQueue(clock);
    this.lapic = new Lapic({
      id,
      bus: this.bus,
      clock,
      timers: this.timers,
      tsc: { guestTsc: () => cpu.env.msrs.tsc(), tscHz: TSC_HZ },
      regs: this.shared.page,
      // IA32_APIC_BASE bits from MAXPHYADDR up are reserved (SDM Vol. 3A Figure 11-5).
      maxPhysAddr: MAXPHYADDR,
      // An event this APIC gave itself (a self-IPI or self-NMI through the ICR): the
      // dispatcher returns at the next block boundary to look at it.
      kick: () => Atomics.or(this.shared.u32, this.shared.index('apicEvents'), ApicEvent.Poke),
      onApicBaseChange: (v) => Atomics.store(this.shared.u32, this.shared.index('apicBaseLo'), Number(v & 0xffffffffn)),
    });
    // The bus walks APICs in vCPU order (apic-bus.ts): this one among the shared views.
    this.bus.detach(this.lapic);
    const targets: ApicTarget[] = [...sharedApics(buffer, id).values()];
    targets.splice(id, 0, this.lapic);
    for (const t of targets) this.bus.attach(t);
    this.bus.addEoiListener({
      eoi: (vector, trigger) => {
        // Level-triggered EOIs clear Remote IRR in the IOAPIC on the VMM thread (11.8.5).
        if (trigger !== TriggerMode.Level) return;
        Atomics.or(new Uint32Array(buffer), (vmField('eoiVectors') >>> 2) + (vector >>> 5), 1 << (vector & 31));
        ringVmmDoorbell(this.i32);
      },
    });
    Atomics.store(this.shared.i32, this.shared.index('extIntVector'), EXTINT_NONE);
  }

  /** What KVM_HC_SEND_IPI reaches through this vCPU's APIC (core/kvm/hypercall.ts). */
  hypercallTarget(): HypercallTarget {
    return {
      sendIpi: (icrLow, apicId) => this.lapic.sendPvIpi(icrLow, apicId),
      maxApicId: () => this.bus.targetCount - 1,
    };
  }

  /** Power-on reset of the APIC (KVM_CREATE_VCPU) and the vCPU's run state. */
  reset(): void {
    this.lapic.reset(false);
    this.initPending = false;
    this.sipiPending = -1;
    this.mpState = this.cpu.id === 0 ? MpState.Runnable : MpState.Uninitialized;
    this.syncCr8();
  }

  get mpState(): MpState {
    return Atomics.load(this.shared.u32, this.shared.index('mpState')) as MpState;
  }
  set mpState(v: MpState) {
    Atomics.store(this.shared.u32, this.shared.index('mpState'), v);
  }

  // ---- the xAPIC page and the MSRs ---------------------------------------------------------

  /** Whether a guest-physical access hits the APIC page (IA32_APIC_BASE bits 35:12, SDM Vol. 3A 11.4.4). */
  claims(gpa: number): boolean {
    const base = this.lapic.mmioBase;
    return gpa >= base && gpa < base + LAPIC_MMIO_LENGTH;
  }

  mmioRead(gpa: number, size: number): number {
    this.takeCr8();
    const s = size === 1 || size === 2 ? size : 4;
    const v = this.lapic.read(gpa - this.lapic.mmioBase, s);
    this.afterAccess();
    return v;
  }

  mmioWrite(gpa: number, size: number, value: number): void {
    this.takeCr8();
    const s = size === 1 || size === 2 ? size : 4;
    this.lapic.write(gpa - this.lapic.mmioBase, s, value);
    this.afterAccess();
  }

  /** Whether RDMSR/WRMSR of `index` belongs to the APIC. */
  static ownsMsr(index: number): boolean {
    return index === MSR_IA32_APICBASE || index === MSR_IA32_TSC_DEADLINE || (index >= APIC_BASE_MSR && index <= X2APIC_MSR_LAST);
  }

  readMsr(index: number): bigint | undefined {
    this.takeCr8();
    const v = this.lapic.readMsr(index);
    this.afterAccess();
    return v;
  }

  writeMsr(index: number, value: bigint, host: boolean): boolean {
    this.takeCr8();
    const ok = this.lapic.writeMsr(index, value, host);
    this.afterAccess();
    return ok;
  }

  // ---- KVM_GET_LAPIC / KVM_SET_LAPIC ---------------------------------------------------------

  /** struct kvm_lapic_state: the register page (KVM_APIC_REG_SIZE bytes), TMCCT with the current count. */
  getLapicRegs(): Uint8Array {
    const regs = this.lapic.getState().regs;
    return new Uint8Array(regs.buffer, regs.byteOffset, KVM_APIC_REG_SIZE).slice();
  }

  /**
   * Loads a register page (kvm_apic_set_state): IA32_APIC_BASE, the TSC deadline and queued
   * NMI/INIT/SIPI stay as they are. Returns why the page was refused, or undefined.
   */
  setLapicRegs(bytes: Uint8Array): string | undefined {
    const regs = new Uint32Array(KVM_APIC_REG_SIZE / 4);
    new Uint8Array(regs.buffer).set(bytes.subarray(0, KVM_APIC_REG_SIZE));
    const refused = this.lapic.setState({ ...this.lapic.getState(), regs });
    if (refused) return refused.kind;
    this.afterAccess();
    return undefined;
  }

  /** After the guest touched the APIC: TPR -> CR8, timers re-armed, deliverability changed. */
  private afterAccess(): void {
    this.cpu.state.setLo('cr8', this.lapic.getCr8());
    this.limitNmis();
    this.publishDeadline();
    this.updatePending();
    // LVT0 or IA32_APIC_BASE changed whether the 8259A's INTR reaches this CPU: the VMM
    // thread offers it an interrupt again (KVM: kvm_apic_accept_pic_intr on the next check).
    const accepts = this.lapic.acceptsPicInterrupt();
    if (accepts !== this.acceptedPic) {
      this.acceptedPic = accepts;
      if (accepts) ringVmmDoorbell(this.i32);
    }
  }
  private acceptedPic = true;

  /**
   * A MOV to CR8 since the APIC last looked writes TPR[7:4] (SDM Vol. 3A 11.8.6): taken before
   * every APIC access, whose afterAccess() copies the TPR back to CR8, and at each poll().
   */
  private takeCr8(): void {
    const cr8 = this.cpu.state.getLo('cr8') & 0xf;
    if (cr8 !== this.lapic.getCr8()) this.lapic.setCr8(cr8);
  }

  private syncCr8(): void {
    this.cpu.state.setLo('cr8', this.lapic.getCr8());
  }

  // ---- the run loop's questions ------------------------------------------------------------

  /**
   * Takes events from other threads and the timer queue, brings MOV CR8 writes into the TPR
   * (SDM Vol. 3A 11.8.6) and recomputes `pendingIrq`. Cheap when nothing happened.
   */
  poll(): void {
    const sh = this.shared;
    const ev = Atomics.exchange(sh.u32, sh.index('apicEvents'), 0);
    this.takeCr8();
    if (ev & ApicEvent.Nmi) this.lapic.nmiQueued += Atomics.exchange(sh.u32, sh.index('apicNmiCount'), 0);
    this.limitNmis();
    if (ev & ApicEvent.Init) {
      this.initPending = true;
      this.sipiPending = -1;
    }
    if (ev & ApicEvent.Sipi) this.sipiPending = Atomics.load(sh.u32, sh.index('apicSipiVector'));
    if (ev & ApicEvent.ExtInt) this.lapic.extIntPending = true;
    this.timers.runDue();
    this.publishDeadline();
    this.updatePending();
  }

  /** The vector the VMM thread took from the 8259A for this CPU's INTA, or -1. */
  private extIntWaiting(): number {
    return Atomics.load(this.shared.i32, this.shared.index('extIntVector'));
  }

  /**
   * Sets `pendingIrq` to a deliverable vector class (the dispatcher's IF=1 check), else -1.
   * An 8259A request not yet acknowledged (EXTINT_REQUEST) counts: with IF = 1 the run loop
   * asks the VMM thread for the INTA cycle (acknowledge()).
   */
  updatePending(): void {
    const ext = this.extIntWaiting();
    const deliverable = ((ext >= 0 || ext === EXTINT_REQUEST) && this.lapic.acceptsPicInterrupt()) || this.lapic.hasInterrupt();
    this.cpu.state.setI32('pendingIrq', deliverable ? 0 : -1);
  }

  /** INIT, SIPI and NMI, which do not wait for EFLAGS.IF (kvm_apic_accept_events). */
  takeAction(): ApicAction {
    if (this.initPending) {
      this.initPending = false;
      return { kind: 'init' };
    }
    if (this.sipiPending >= 0) {
      const vector = this.sipiPending;
      this.sipiPending = -1;
      // A start-up IPI is honoured only in wait-for-SIPI state (SDM Vol. 3A 9.4.4.1).
      if (this.mpState === MpState.InitReceived) return { kind: 'sipi', vector };
    }
    // An NMI waits while an earlier one's handler has not executed IRET (SDM Vol. 3A 6.7.1),
    // and for the end of an STI or MOV SS interrupt shadow: the SDM leaves NMI blocking by
    // STI model-specific (Vol. 3A 26.3.1.5, Table 25-3 "Blocking by STI"); KVM holds NMIs
    // off in either shadow (vmx_nmi_blocked, svm_nmi_blocked), and kvm-unit-tests' apic.c
    // "nmi-after-sti" expects it.
    this.limitNmis();
    const s = this.cpu.state;
    const blocked = s.getU32('nmiBlocked') !== 0 || s.getU32('interruptShadow') !== 0;
    const state = this.mpState;
    if ((state === MpState.Runnable || state === MpState.Halted) && !blocked) {
      if (this.lapic.takeNmi()) return { kind: 'nmi' };
    }
    return { kind: 'none' };
  }

  /**
   * NMIs that arrive while one is in service collapse into one pending NMI; with none in
   * service two are kept, one to deliver and one pending (SDM Vol. 3A 6.7.1; KVM's
   * process_nmi, applied as each NMI is queued, so that the limit is the one in force when
   * it arrived, not after the IRET).
   */
  private limitNmis(): void {
    const inService = this.cpu.state.getU32('nmiBlocked') !== 0;
    this.lapic.nmiQueued = Math.min(this.lapic.nmiQueued, inService ? 1 : 2);
  }

  /** The INTA cycle (kvm_cpu_get_interrupt): the 8259A's ExtINT vector first, then the APIC's. */
  acknowledge(): number {
    let vector = -1;
    if (this.lapic.acceptsPicInterrupt()) {
      const slot = this.shared.index('extIntVector');
      const ext = Atomics.load(this.shared.i32, slot);
      if (ext === EXTINT_REQUEST) {
        // IF = 1 now: the VMM thread runs the INTA cycle and fills the slot (kernel-irqchip.ts).
        ringVmmDoorbell(this.i32);
      } else if (ext >= 0) {
        vector = Atomics.exchange(this.shared.i32, slot, EXTINT_NONE);
        this.lapic.extIntAcknowledged();
        // The VMM thread offers the next 8259A interrupt, if any.
        ringVmmDoorbell(this.i32);
      }
    }
    if (vector < 0) vector = this.lapic.acknowledge();
    this.updatePending();
    return vector;
  }

  /** Whether the 8259A has a request the VMM thread has not acknowledged yet (EXTINT_REQUEST). */
  extIntRequested(): boolean {
    return this.extIntWaiting() === EXTINT_REQUEST && this.lapic.acceptsPicInterrupt();
  }

  /** Whether a halted CPU has a reason to wake (kvm_vcpu_has_events): IF is the caller's. */
  hasWakeEvent(ifSet: boolean): boolean {
    const nmi = this.lapic.nmiQueued > 0 && this.cpu.state.getU32('nmiBlocked') === 0;
    return this.initPending || this.sipiPending >= 0 || nmi || (ifSet && this.cpu.state.getI32('pendingIrq') >= 0);
  }

  /** Host milliseconds until the next local timer, or undefined. */
  msUntilTimer(): number | undefined {
    const due = this.timers.nextDueNs;
    return due === undefined ? undefined : Math.max(0, (due - this.clock.nowNs()) / 1e6);
  }

  /** The value of `wakeSeq` to sleep on (read before the last check for events). */
  wakeSeq(): number {
    return Atomics.load(this.shared.i32, this.shared.index('wakeSeq'));
  }

  /** Publishes the next local-timer deadline for the VMM thread's pump (0 = none). */
  private publishDeadline(): void {
    const due = this.timers.nextDueNs;
    const us = due === undefined ? 0n : BigInt((this.clock as HostClock).toHostUs(due));
    if (us === this.published) return;
    this.published = us;
    Atomics.store(this.deadline, this.deadlineIndex, us);
    if (us !== 0n) ringVmmDoorbell(this.i32);
  }
}
