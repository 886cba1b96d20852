// KVM_CREATE_IRQCHIP and KVM_CREATE_PIT2 on the VMM thread: the 8259A pair, the IOAPIC and
// the 8254 with port 0x61 live here, where KVM_IRQ_LINE is called; each vCPU's local APIC
// lives in its worker (vcpu-apic.ts) and is reached through shared memory (shared-apic.ts).
//
//  - KVM_IRQ_LINE follows KVM's default GSI routing (arch/x86/kvm/irq_comm.c
//    kvm_setup_default_irq_routing): GSI 0-15 drive the 8259A input of the same number
//    (IRQ 2 is the cascade) and GSI 0-23 the IOAPIC pin of the same number.
//  - The 8259A's INTR reaches vCPU 0 through LINT0 in ExtINT mode (virtual wire, SDM Vol.
//    3A 11.5.1): this thread runs the INTA cycle for the vCPU and leaves the vector in its
//    `extIntVector`, one at a time; the vCPU takes it when IF allows and rings the doorbell
//    for the next one.
//  - A pump waits on the VM doorbell (Atomics.waitAsync) for level-triggered EOIs to pass to
//    the IOAPIC, a freed ExtINT slot, and local-timer deadlines the vCPUs publish: a vCPU
//    inside Wasm cannot run its own timers, so the pump raises ApicEvent.Timer at the
//    deadline and the dispatcher returns at the next block boundary.
//  - Port and MMIO accesses to these devices still leave the vCPU as exits, but the kernel
//    side of Vcpu.run() (vcpu.ts) serves them and re-enters the guest: the VMM never sees them.
//    Reads of port 0x61 are the exception: the vCPUs answer them from counter 2's published
//    state, at the time of the IN (local-timers.ts).
import { MAX_VCPUS, vcpuField, vmField } from '../../cpu/layout.ts';
import type { Clock, TimerQueue } from '../clock.ts';
import { ApicBus, TriggerMode } from './apic-bus.ts';
import { APIC_LVT_MASKED, APIC_MODE_MASK, ApicReg, DeliveryMode } from './apic-regs.ts';
import { HostClock, HostTimerQueue, hostNowMs, vmClockEpochMs } from './host-clock.ts';
import { Ioapic, IOAPIC_MEM_LENGTH, IOAPIC_NUM_PINS } from './ioapic.ts';
import { Pic8259Pair, PIC8259_PORTS } from './i8259.ts';
import { Pit8254, PIT8254_IOBASE, PIT8254_PORTS } from './i8254.ts';
import { Port61, PORT61_IOBASE } from './port61.ts';
import type { PioDevice } from './io-device.ts';
import { ApicEvent, EXTINT_NONE, EXTINT_REQUEST, SharedApic } from './shared-apic.ts';
import { KernelIoBus } from './kernel-io.ts';
import { TimerMirror } from './local-timers.ts';

/** KVM's PIC input that is the slave's cascade: not a device line. */
const PIC_CASCADE_IRQ = 2;
const PIC_IRQS = 16;
/** 8259A ICW1 is a write to the even port with bit 4 set (8259A datasheet, "Initialization Command Words"). */
const PIC_ICW1 = 0x10;
/** EFLAGS.IF (SDM Vol. 1 3.4.3). */
const EFLAGS_IF = 1 << 9;
/** How often the pump looks again when Atomics.waitAsync is missing (some browsers). */
const POLL_FALLBACK_MS = 2;

type WaitAsync = (i32: Int32Array, index: number, value: number, timeoutMs?: number) => { async: boolean; value: Promise<string> | string };

/** One irqchip entry of KVM_SET_GSI_ROUTING (struct kvm_irq_routing_irqchip). */
export interface GsiRoute {
  gsi: number;
  irqchip: 'pic' | 'ioapic';
  pin: number;
}

export interface KernelIrqchipOptions {
  /** The guest clock of the VMM-thread devices (IOAPIC, PIT); default the host clock. */
  clock?: Clock & Partial<TimerQueue>;
  timers?: TimerQueue;
}

export class KernelIrqchip {
  readonly pic = new Pic8259Pair();
  readonly ioapic: Ioapic;
  readonly bus = new ApicBus();
  readonly apics: SharedApic[] = [];
  readonly io = new KernelIoBus();
  readonly clock: Clock;
  readonly timers: TimerQueue;
  pit: Pit8254 | undefined;
  port61: Port61 | undefined;
  /**
   * Counter 2, port 0x61 and the PM timer port as the vCPUs read them without an exit
   * (local-timers.ts); only on the host clock, which every vCPU worker shares.
   */
  readonly timerMirror: TimerMirror | undefined;
  private readonly i32: Int32Array;
  private readonly u32: Uint32Array;
  private readonly deadlines: BigInt64Array;
  private readonly lastRaised = new Map<number, bigint>();
  private readonly routing = new Map<number, { irqchip: 'pic' | 'ioapic'; pin: number }[]>();
  private stopped = false;
  private pumpWake: (() => void) | undefined;

  constructor(memory: WebAssembly.Memory, opts: KernelIrqchipOptions = {}) {
    const buffer = memory.buffer;
    this.i32 = new Int32Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.deadlines = new BigInt64Array(buffer);
    // Guest time 0, the same for every thread (host-clock.ts).
    const host = new HostClock(vmClockEpochMs(buffer));
    this.clock = opts.clock ?? host;
    this.timerMirror = opts.clock === undefined ? new TimerMirror(buffer) : undefined;
    this.timers = opts.timers ?? new HostTimerQueue(this.clock);
    for (let id = 0; id < MAX_VCPUS; id++) {
      const apic = new SharedApic(buffer, id);
      this.apics.push(apic);
      this.bus.attach(apic);
    }
    this.ioapic = new Ioapic({ bus: this.bus, clock: this.clock, timers: this.timers });
    this.setGsiRouting(KernelIrqchip.defaultRouting());
    this.pic.onInterruptChange = () => this.offerExtInt();
    this.io.registerPorts(PIC8259_PORTS.master, 2, this.reinitDropsExtInt(this.pic.master));
    this.io.registerPorts(PIC8259_PORTS.slave, 2, this.reinitDropsExtInt(this.pic.slave));
    this.io.registerPorts(PIC8259_PORTS.elcr, 2, this.pic.elcr);
    this.io.registerMmio(this.ioapic.baseAddress, IOAPIC_MEM_LENGTH, this.ioapic);
    void this.pump();
  }

  /**
   * This thread runs the INTA cycle ahead of the CPU (see the header). A vector taken before
   * the guest initialized the 8259A (ICW1: bit 4 at offset 0) carries the old vector base, so
   * initialization drops it, as the reset of IRR and ISR drops the request on hardware.
   */
  private reinitDropsExtInt(ports: PioDevice): PioDevice {
    return {
      maxAccessSize: 1,
      read: (offset, size) => ports.read(offset, size),
      write: (offset, size, value) => {
        if (offset === 0 && value & PIC_ICW1) {
          const sh = this.apics[0]!.shared;
          Atomics.store(sh.i32, sh.index('extIntVector'), EXTINT_NONE);
        }
        ports.write(offset, size, value);
      },
    };
  }

  /** KVM_CREATE_PIT2: the 8254 on GSI 0 and port 0x61's gate and speaker bits. */
  createPit(): void {
    if (this.pit) return;
    const pit = new Pit8254({ setLevel: (level) => this.irqLine(0, level) }, this.clock, this.timers);
    this.pit = pit;
    const port61 = new Port61(pit, this.clock);
    this.port61 = port61;
    const mirror = this.timerMirror;
    if (mirror) {
      pit.onCounter2Change = (state) => mirror.publishCounter2(state, port61.controlBits);
      pit.counter2Rebased = () => mirror.takeRebasedTick();
      mirror.publishCounter2(pit.counterState(2), port61.controlBits);
    }
    this.io.registerPorts(PIT8254_IOBASE, PIT8254_PORTS, pit);
    this.io.registerPorts(PORT61_IOBASE, 1, this.port61);
  }

  /**
   * KVM_IRQ_LINE with the default routing. Returns KVM_IRQ_LINE_STATUS's value: the
   * IOAPIC's answer (> 0 delivered, 0 coalesced, -1 masked or no destination).
   */
  irqLine(gsi: number, level: boolean): number {
    if (!Number.isInteger(gsi) || gsi < 0 || gsi >= IOAPIC_NUM_PINS) throw new RangeError(`KVM_IRQ_LINE: GSI ${gsi}`);
    const routes = this.routing.get(gsi);
    if (routes === undefined) return -1;
    let status = -1;
    for (const r of routes) {
      if (r.irqchip === 'pic') this.pic.setIrq(r.pin, level);
      else status = this.ioapic.setIrq(r.pin, level);
    }
    return status;
  }

  /**
   * KVM_SET_GSI_ROUTING for irqchip entries: replaces the whole table (GSIs not named are
   * not connected). A VMM whose MADT moves ISA IRQ 0 to GSI 2 routes GSI 0 to IOAPIC pin
   * 2, as QEMU does (hw/i386/kvm/ioapic.c kvm_pc_setup_irq_routing).
   */
  setGsiRouting(entries: readonly GsiRoute[]): void {
    for (const e of entries) {
      const max = e.irqchip === 'pic' ? PIC_IRQS : IOAPIC_NUM_PINS;
      if (!Number.isInteger(e.gsi) || e.gsi < 0 || e.gsi >= IOAPIC_NUM_PINS || !Number.isInteger(e.pin) || e.pin < 0 || e.pin >= max || (e.irqchip === 'pic' && e.pin === PIC_CASCADE_IRQ))
        throw new RangeError(`KVM_SET_GSI_ROUTING: ${JSON.stringify(e)}`);
    }
    this.routing.clear();
    for (const e of entries) {
      const list = this.routing.get(e.gsi) ?? [];
      list.push({ irqchip: e.irqchip, pin: e.pin });
      this.routing.set(e.gsi, list);
    }
  }

  /** KVM's default routing (irq_comm.c): GSI n to 8259A input n (0-15, not 2) and IOAPIC pin n. */
  static defaultRouting(): GsiRoute[] {
    const out: GsiRoute[] = [];
    for (let gsi = 0; gsi < IOAPIC_NUM_PINS; gsi++) {
      if (gsi < PIC_IRQS && gsi !== PIC_CASCADE_IRQ) out.push({ gsi, irqchip: 'pic', pin: gsi });
      out.push({ gsi, irqchip: 'ioapic', pin: gsi });
    }
    return out;
  }

  /** Whether vCPU 0's LINT0 passes the 8259A's INTR (kvm_apic_accept_pic_intr). */
  private bspAcceptsPic(): boolean {
    const bsp = this.apics[0]!;
    if (!bsp.isPresent()) return true;
    const lvt0 = Atomics.load(bsp.shared.page, ApicReg.LVT0 >>> 2);
    return (lvt0 & APIC_LVT_MASKED) === 0 && (lvt0 & APIC_MODE_MASK) === DeliveryMode.ExtInt;
  }

  /**
   * Runs the INTA cycle for vCPU 0 when its ExtINT slot is free and the CPU would take the
   * interrupt now (EFLAGS.IF = 1): a CPU never acknowledges while IF = 0, and a guest that
   * masks a line at the 8259A meanwhile must not get it. With IF = 0 the slot says
   * EXTINT_REQUEST instead, and the vCPU rings the doorbell once IF is 1 (vcpu-apic.ts).
   */
  offerExtInt(): void {
    const sh = this.apics[0]!.shared;
    const slot = sh.index('extIntVector');
    const current = Atomics.load(sh.i32, slot);
    if (current >= 0) return;
    if (!this.pic.hasInterrupt() || !this.bspAcceptsPic()) {
      if (current === EXTINT_REQUEST) Atomics.compareExchange(sh.i32, slot, EXTINT_REQUEST, EXTINT_NONE);
      return;
    }
    const rflags = Atomics.load(sh.u32, vcpuField(0, 'rflags') >>> 2);
    if ((rflags & EFLAGS_IF) === 0) {
      if (current !== EXTINT_REQUEST) {
        Atomics.store(sh.i32, slot, EXTINT_REQUEST);
        sh.raise(ApicEvent.Poke);
      }
      return;
    }
    Atomics.store(sh.i32, slot, this.pic.acknowledge());
    sh.raise(ApicEvent.Poke);
  }

  /** Level-triggered EOIs the vCPUs posted: clear Remote IRR and re-deliver (SDM Vol. 3A 11.8.5). */
  private takeEois(): void {
    const base = vmField('eoiVectors') >>> 2;
    for (let w = 0; w < 8; w++) {
      let bits = Atomics.exchange(this.u32, base + w, 0);
      while (bits !== 0) {
        const b = 31 - Math.clz32(bits);
        bits &= ~(1 << b);
        this.ioapic.eoi(w * 32 + b, TriggerMode.Level, this.apics[0]!);
      }
    }
  }

  /** Raises ApicEvent.Timer on every vCPU whose published deadline has passed; returns ms to the next. */
  private serviceDeadlines(): number {
    const nowUs = BigInt(Math.floor(hostNowMs() * 1000));
    let next = Infinity;
    for (let id = 0; id < MAX_VCPUS; id++) {
      const d = Atomics.load(this.deadlines, vcpuField(id, 'timerDeadlineUs') >>> 3);
      if (d === 0n) continue;
      if (d <= nowUs) {
        if (this.lastRaised.get(id) !== d) {
          this.lastRaised.set(id, d);
          this.apics[id]!.shared.raise(ApicEvent.Timer);
        }
      } else {
        next = Math.min(next, Number(d - nowUs) / 1000);
      }
    }
    return next;
  }

  private async pump(): Promise<void> {
    const bell = vmField('vmmDoorbell') >>> 2;
    const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
    while (!this.stopped) {
      const seen = Atomics.load(this.i32, bell);
      this.takeEois();
      this.offerExtInt();
      const nextMs = this.serviceDeadlines();
      const timeout = Number.isFinite(nextMs) ? Math.max(0, nextMs) : undefined;
      if (waitAsync) {
        const r = waitAsync(this.i32, bell, seen, timeout);
        if (r.async) await r.value;
      } else {
        await new Promise<void>((resolve) => {
          this.pumpWake = resolve;
          setTimeout(resolve, Math.min(timeout ?? POLL_FALLBACK_MS, POLL_FALLBACK_MS));
        });
      }
    }
  }

  /** Stops the pump and the timers (the VM is being destroyed). */
  destroy(): void {
    this.stopped = true;
    const bell = vmField('vmmDoorbell') >>> 2;
    Atomics.add(this.i32, bell, 1);
    Atomics.notify(this.i32, bell);
    this.pumpWake?.();
    if (this.timers instanceof HostTimerQueue) this.timers.cancelAll();
  }
}
