// The in-"kernel" side of a vCPU: what the KVM vcpu ioctls do (KVM_RUN, KVM_GET/SET_REGS,
// KVM_GET/SET_SREGS, KVM_GET/SET_MSRS, KVM_SET_CPUID2, KVM_INTERRUPT). It runs in the vCPU's
// worker; workers/vcpu.worker.ts exposes it to the VMM through comlink.
import { resetFpu } from '../fpu/state.ts';
import { resetSseState } from '../cpu/xsave.ts';
import { Cpu } from '../cpu/cpu.ts';
import { CpuidModel, isAmdCompatible } from '../cpu/cpuid.ts';
import { ExitSignal, GuestFault, InternalError } from '../cpu/faults.ts';
import { deliverEvent } from '../cpu/interrupts.ts';
import { DebugUnit, debugActive, type Step } from '../cpu/debug.ts';
import { MsrModel } from '../cpu/msr.ts';
import { Flag, Seg, SegAttr, Vector } from '../cpu/registers.ts';
import { SEGMENT_SLOTS, vmField } from '../cpu/layout.ts';
import { ExitReason, KVM_EXIT_IO_OUT, KVM_INTERNAL_ERROR_EMULATION } from './exit-reason.ts';
import { REG_NAMES, type KvmCpuidEntry2, type KvmMsrEntry, type KvmRegs, type KvmSegment, type KvmSregs } from './types.ts';
import { handleDoubleFault } from '../cpu/double-fault.ts';
import { DispatchResult } from '../../jit/dispatcher.ts';
import { MpState, VcpuApic } from './irqchip/vcpu-apic.ts';
import { emulateHypercall } from './hypercall.ts';
import { Kvmclock } from './irqchip/kvmclock.ts';
import { HostClock, vmClockEpochMs } from './irqchip/host-clock.ts';
import { LocalTimerPorts } from './irqchip/local-timers.ts';

/** CPUID leaves with the initial APIC ID (SDM Vol. 2A CPUID). */
const CPUID_LEAF_FEATURES = 1;
const CPUID_LEAF_TOPOLOGY = 0xb;
const CPUID1_EDX_APIC = 1 << 9;

/** How often (in blocks) the run loop polls kvm_run.immediate_exit for a kick. */
const KICK_POLL_BLOCKS = 64;

/**
 * `RunResult.reason` of a run that gave its thread back without an exit (VcpuCore.sliceMs):
 * inline.ts lets the thread's event loop run, then `resume()` goes on where it stopped.
 * Never an exit the VMM sees.
 */
export const RUN_PREEMPTED = -1;

/** Mnemonics of the exception vectors (SDM Vol. 3A Table 6-1), for messages. */
const VECTOR_NAMES: Readonly<Record<number, string>> = {
  0: '#DE', 1: '#DB', 2: 'NMI', 3: '#BP', 4: '#OF', 5: '#BR', 6: '#UD', 7: '#NM', 8: '#DF', 10: '#TS',
  11: '#NP', 12: '#SS', 13: '#GP', 14: '#PF', 16: '#MF', 17: '#AC', 18: '#MC', 19: '#XM',
};

const SREG_ORDER: [keyof KvmSregs & ('es' | 'cs' | 'ss' | 'ds' | 'fs' | 'gs' | 'ldt' | 'tr'), Seg][] = [
  ['es', Seg.ES], ['cs', Seg.CS], ['ss', Seg.SS], ['ds', Seg.DS], ['fs', Seg.FS], ['gs', Seg.GS], ['ldt', Seg.LDTR], ['tr', Seg.TR],
];

export interface RunResult {
  reason: number;
  /** Human-readable detail for INTERNAL_ERROR and SHUTDOWN exits (what and where). */
  detail?: string;
}

export class VcpuCore {
  readonly cpu: Cpu;
  readonly cpuid = new CpuidModel();
  readonly msrs: MsrModel;
  /** Work that completes the instruction that exited (IN data into rAX), run at the next KVM_RUN. */
  pendingCompletion: (() => void) | null = null;

  /** VMCALL/VMMCALL (CpuEnv.vcpu.hypercall): KVM's hypercall ABI, with the in-kernel APIC for PV IPIs. */
  hypercall(long: boolean): void {
    emulateHypercall(this.cpu, long, this.apic?.hypercallTarget());
  }
  private lastExitWasMmio = false;
  /** The in-kernel local APIC once KVM_CREATE_IRQCHIP ran (enableIrqchip). */
  apic: VcpuApic | undefined;
  /**
   * Whether a halted vCPU may block its thread (Atomics.wait) until an event: true in a
   * worker. In the VMM's own thread (inline.ts) a halt with no timer armed returns
   * KVM_EXIT_HLT instead, so the VMM can raise the interrupt that ends it.
   */
  canBlock = false;
  /**
   * Milliseconds of guest time after which run() returns RUN_PREEMPTED, or undefined for
   * never: a vCPU in the VMM's own thread (inline.ts) yields it so that the thread's event
   * loop runs the VMM's device timers, the irqchip pump and kicks.
   */
  sliceMs: number | undefined = undefined;
  /** kvmclock's MSRs (Documentation/virt/kvm/x86/msr.rst). */
  readonly kvmclock: Kvmclock;

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly id: number,
  ) {
    this.cpu = new Cpu(memory, id);
    this.debug = new DebugUnit(this.cpu);
    this.msrs = new MsrModel(this.cpu);
    // RDMSR/WRMSR: the APIC's MSRs go to the in-kernel APIC when there is one.
    const msrs = this.msrs;
    const env = {
      get: (index: number, host = false): bigint | undefined => this.getMsr(index, host),
      set: (index: number, value: bigint, host: boolean): boolean => this.setMsr(index, value, host),
      tsc: (): bigint => msrs.tsc(),
    };
    const cpuid = { query: (leaf: number, subleaf: number) => this.cpuidQuery(leaf, subleaf) };
    this.cpu.env = { cpuid, msrs: env, vcpu: this };
    const cpu = this.cpu;
    const clock = new HostClock(vmClockEpochMs(memory.buffer));
    // Port 0x61 and PM timer reads at the time of the IN, without a round trip (local-timers.ts).
    cpu.localPio = new LocalTimerPorts(memory.buffer, clock);
    this.kvmclock = new Kvmclock({
      guestTsc: () => msrs.tsc(),
      // msr.ts: TSC = nanoseconds since the VM's clock epoch + tscOffset; host-clock.ts:
      // system time = nanoseconds since that epoch. So the one from the other:
      systemTimeAt: (tsc) => tsc - this.cpu.state.get64('tscOffset'),
      epochMs: clock.epochMs,
      writeGuest: (gpa, bytes) => {
        cpu.phys.refresh();
        for (let i = 0; i < bytes.length; i++) if (cpu.phys.host(gpa + i, true) < 0) return false;
        for (let i = 0; i < bytes.length; i++) cpu.phys.u8[cpu.phys.host(gpa + i, true)] = bytes[i]!;
        return true;
      },
    });
    this.reset();
  }

  /**
   * CPUID with this vCPU's initial APIC ID where the table leaves it 0 (a VMM that set no
   * per-vCPU CPUID): CPUID.01H:EBX[31:24] and the x2APIC ID in CPUID.0BH:EDX (SDM Vol. 2A
   * CPUID; KVM fixes the APIC ID to the vCPU id).
   */
  private cpuidQuery(leaf: number, subleaf: number): [number, number, number, number] {
    const r = this.cpuid.query(leaf, subleaf);
    if (leaf === CPUID_LEAF_FEATURES && r[1] >>> 24 === 0) r[1] = (r[1] | (this.id << 24)) >>> 0;
    // CPUID.01H:EDX.APIC follows IA32_APIC_BASE.EN, as KVM's kvm_update_cpuid_runtime does.
    if (leaf === CPUID_LEAF_FEATURES && this.apic && !this.apic.lapic.isPresent()) r[3] = (r[3] & ~CPUID1_EDX_APIC) >>> 0;
    if (leaf === CPUID_LEAF_TOPOLOGY && r[3] === 0) r[3] = this.id;
    return r;
  }

  private getMsr(index: number, host: boolean): bigint | undefined {
    if (Kvmclock.owns(index)) return this.kvmclock.read(index);
    if (this.apic && VcpuApic.ownsMsr(index)) return this.apic.readMsr(index);
    return this.msrs.get(index, host);
  }

  private setMsr(index: number, value: bigint, host: boolean): boolean {
    if (Kvmclock.owns(index)) return this.kvmclock.write(index, value);
    if (this.apic && VcpuApic.ownsMsr(index)) return this.apic.writeMsr(index, value, host);
    return this.msrs.set(index, value, host);
  }

  /**
   * KVM_CREATE_IRQCHIP as this vCPU sees it: a local APIC in its reset state, the xAPIC page
   * served without an exit, HLT that sleeps instead of exiting, and application processors
   * (every vCPU but 0) waiting for INIT and a start-up IPI (KVM_MP_STATE_UNINITIALIZED).
   */
  enableIrqchip(): void {
    if (this.apic) return;
    const apic = new VcpuApic(this.cpu);
    this.apic = apic;
    this.cpu.localMmio = apic;
    apic.reset();
  }

  /** KVM_GET_LAPIC (the handle refuses it without the in-kernel irqchip). */
  getLapic(): Uint8Array {
    return this.needApic().getLapicRegs();
  }

  /** KVM_SET_LAPIC: why the page was refused, or undefined. */
  setLapic(regs: Uint8Array): string | undefined {
    return this.needApic().setLapicRegs(regs);
  }

  private needApic(): VcpuApic {
    if (!this.apic) throw new Error(`vCPU ${this.id}: no local APIC before KVM_CREATE_IRQCHIP`);
    return this.apic;
  }

  /** Power-on state of the processor and, with the in-kernel irqchip, its local APIC. */
  reset(): void {
    // Nothing of an instruction that exited before the reset completes after it.
    this.pendingCompletion = null;
    this.lastExitWasMmio = false;
    this.trapAfterExit = false;
    this.cpu.mmioLog = [];
    this.archReset();
    resetFpu(this.cpu.state);
    // MXCSR, the XMM registers and XCR0 keep their values across INIT (SDM Vol. 3A Table 10-1).
    resetSseState(this.cpu);
    this.apic?.reset();
  }

  /** Power-on / INIT state (SDM Vol. 3A 10.1.1, Table 10-1). */
  private archReset(): void {
    const s = this.cpu.state;
    for (let i = 0; i < 16; i++) s.setLo('gpr', 0, i);
    // EDX holds the processor signature after reset.
    s.setLo('gpr', this.cpuid.signature(), 2);
    s.setLo('rip', 0xfff0);
    s.setLo('rflags', Flag.FIXED1);
    s.setU32('lazyKind', 0);
    for (let seg = 0; seg < SEGMENT_SLOTS; seg++) {
      const attr = seg === Seg.CS ? SegAttr.P | SegAttr.S | 0xb : seg === Seg.LDTR ? SegAttr.P | 2 : seg === Seg.TR ? SegAttr.P | 0xb : SegAttr.P | SegAttr.S | 3;
      this.setSegment(seg, seg === Seg.CS ? 0xf000 : 0, seg === Seg.CS ? 0xffff0000 : 0, 0xffff, attr);
    }
    s.setNum('gdtrBase', 0);
    s.setU32('gdtrLimit', 0xffff);
    s.setNum('idtrBase', 0);
    s.setU32('idtrLimit', 0xffff);
    s.setLo('cr0', 0x60000010); // CD NW ET
    for (const cr of ['cr2', 'cr3', 'cr4', 'cr8', 'efer'] as const) s.setLo(cr, 0);
    for (let i = 0; i < 8; i++) s.setLo('dr', 0, i);
    s.setLo('dr', 0xffff0ff0, 6);
    s.setLo('dr', 0x400, 7);
    s.setU32('cpl', 0);
    s.setU32('interruptShadow', 0);
    s.setU32('a20Mask', 0xffffffff);
    s.setI32('pendingIrq', -1);
    s.setU32('nmiBlocked', 0);
    this.msrs.reset();
    // kvmclock is off after reset until the guest names its structures again.
    this.kvmclock.wallClock = 0n;
    this.kvmclock.systemTime = 0n;
    this.cpu.mmu.flush();
    this.cpu.refreshMode();
  }

  /** Loads a segment register's hidden part and derives the JIT's limit-check bounds. */
  setSegment(seg: Seg, selector: number, base: number, limit: number, attr: number): void {
    this.cpu.setSegment(seg, selector, base, limit, attr);
  }

  // ---- KVM_RUN -----------------------------------------------------------------------------

  run(): RunResult {
    const cpu = this.cpu;
    const s = cpu.state;
    if (cpu.phys.refresh()) {
      cpu.mmu.flush();
      cpu.cache.clear();
    }
    // An OUT that exited has been served: a timer count it wrote starts now (local-timers.ts).
    if (s.getU32('runExitReason') === ExitReason.IO && s.getU32('runIoDirection') === KVM_EXIT_IO_OUT) cpu.localPio?.outCompleted(s.getU32('runIoPort'));
    if (this.pendingCompletion) {
      const done = this.pendingCompletion;
      this.pendingCompletion = null;
      try {
        done();
      } catch (e) {
        const r = this.handleThrow(e);
        if (r) return r;
      }
    }
    if (this.trapAfterExit) {
      // The single-stepped instruction that exited has now completed: its #DB trap is due.
      this.trapAfterExit = false;
      this.debug.applyExitTrap();
      if (!this.deliver(() => deliverEvent(cpu, { vector: Vector.DB, kind: 'exception' }))) return this.lastResult!;
    }
    if (this.lastExitWasMmio) {
      this.lastExitWasMmio = false;
      cpu.completeMmio();
    }
    if (s.getU8('runImmediateExit')) return this.exit(ExitReason.INTR);
    return this.runLoop();
  }

  /** Goes on with a run that returned RUN_PREEMPTED (the exit-completion work of run() is done). */
  resume(): RunResult {
    return this.runLoop();
  }

  private runLoop(): RunResult {
    const cpu = this.cpu;
    const s = cpu.state;
    const sliceEnd = this.sliceMs === undefined ? Infinity : performance.now() + this.sliceMs;
    let blocks = 0;
    for (;;) {
      if (this.apic) {
        const r = this.apicEvents(this.apic);
        if (r === 'again') continue;
        if (r) return r;
      }
      const rflags = s.getLo('rflags');
      const shadow = s.getU32('interruptShadow') !== 0;
      const canInject = (rflags & Flag.IF) !== 0 && !shadow;
      const pending = s.getI32('pendingIrq');
      if (pending >= 0 && canInject) {
        s.setI32('pendingIrq', -1);
        // In-kernel irqchip: the INTA cycle picks the vector now (pendingIrq only said "some").
        const seq = this.apic?.wakeSeq() ?? 0;
        const vector = this.apic ? this.apic.acknowledge() : pending;
        if (vector >= 0) {
          if (!this.deliver(() => deliverEvent(cpu, { vector, kind: 'external' }))) return this.lastResult!;
        } else if (this.apic?.extIntRequested()) {
          // The VMM thread runs the 8259A's INTA cycle for us (kernel-irqchip.ts): wait for
          // it in a worker; from the VMM's own thread, return so that it can (Vcpu.run).
          if (!this.canBlock) return this.exit(ExitReason.IRQ_WINDOW_OPEN);
          Atomics.wait(s.i32, s.addr('wakeSeq') >>> 2, seq, 1);
        }
        continue;
      }
      if (s.getU8('runRequestInterruptWindow') && canInject && pending < 0) return this.exit(ExitReason.IRQ_WINDOW_OPEN);
      if (++blocks % KICK_POLL_BLOCKS === 0) {
        if (Atomics.load(s.u8, s.addr('runImmediateExit')) !== 0) return this.exit(ExitReason.INTR);
        if (performance.now() >= sliceEnd) return { reason: RUN_PREEMPTED };
      }
      // One instruction per block under an interrupt shadow, TF, MMIO replay or enabled
      // breakpoints (core/cpu/debug.ts: the checks around each instruction live there).
      const single = cpu.singleStepNext || shadow || (rflags & Flag.TF) !== 0 || debugActive(s);
      let step: Step | undefined;
      try {
        // Fast path: the Wasm dispatcher chains cached blocks until a miss or an event.
        if (!single) {
          const r = cpu.dispatch();
          cpu.resolveFlags();
          if (r !== DispatchResult.Miss) {
            if (Atomics.load(s.u8, s.addr('runImmediateExit')) !== 0) return this.exit(ExitReason.INTR);
            if (r === DispatchResult.Budget && performance.now() >= sliceEnd) return { reason: RUN_PREEMPTED };
            continue;
          }
        }
        if (single) {
          const begun = this.debug.begin(rflags, s.getU32('interruptShadow'));
          // An instruction breakpoint: a #DB fault before the instruction (SDM Vol. 3A 18.3.1.1).
          if (begun === 'breakpoint') {
            if (!this.deliver(() => deliverEvent(cpu, { vector: Vector.DB, kind: 'exception' }))) return this.lastResult!;
            continue;
          }
          step = begun;
        }
        const block = cpu.lookup(single);
        if (step) this.debug.peek(step);
        block.run();
        cpu.resolveFlags();
        if (step) {
          cpu.singleStepNext = false;
          cpu.mmioLog = [];
          // Data-breakpoint and single-step traps after the instruction (SDM Vol. 3A 18.3.1.2, 18.3.1.4).
          if (this.debug.end(step) && !this.deliver(() => deliverEvent(cpu, { vector: Vector.DB, kind: 'exception' })))
            return this.lastResult!;
        }
      } catch (e) {
        // An I/O or HLT exit from a single-stepped instruction ends it (IN completes at the
        // next KVM_RUN): its interrupt shadow is over and a TF trap follows the completion.
        if (step && e instanceof ExitSignal && e.reason !== ExitReason.MMIO) {
          cpu.singleStepNext = false;
          if (shadow) s.setU32('interruptShadow', 0);
          if (this.debug.exited(step)) this.trapAfterExit = true;
        }
        if (step) this.debug.abort(step, e instanceof GuestFault);
        const r = this.handleThrow(e);
        if (r) return r;
        if (this.trapAfterExit) {
          // The exit was served here (HLT with the in-kernel irqchip): the instruction is
          // complete, its #DB trap is due now, and as a pending event it ends the halt
          // (KVM: kvm_skip_emulated_instruction queues it, kvm_vcpu_has_events wakes).
          this.trapAfterExit = false;
          if (this.apic) this.apic.mpState = MpState.Runnable;
          this.debug.applyExitTrap();
          if (!this.deliver(() => deliverEvent(cpu, { vector: Vector.DB, kind: 'exception' }))) return this.lastResult!;
        }
      }
    }
  }

  /**
   * The in-kernel APIC's part of an iteration of the run loop: takes events, runs INIT, SIPI
   * and NMI (which ignore EFLAGS.IF), and keeps a halted or wait-for-SIPI vCPU asleep.
   * Returns an exit, 'again' to restart the iteration, or undefined to run the guest.
   */
  private apicEvents(apic: VcpuApic): RunResult | 'again' | undefined {
    const cpu = this.cpu;
    const s = cpu.state;
    const seq = apic.wakeSeq();
    apic.poll();
    const action = apic.takeAction();
    switch (action.kind) {
      case 'init':
        // INIT (SDM Vol. 3A 9.1.1, Table 9-1 "INIT" column; KVM kvm_vcpu_reset(init_event)):
        // the BSP restarts at the reset vector, an AP waits for a start-up IPI.
        this.archReset();
        apic.lapic.reset(true);
        apic.mpState = cpu.id === 0 ? MpState.Runnable : MpState.InitReceived;
        return 'again';
      case 'sipi':
        // Start-up IPI (SDM Vol. 3A 9.4.4.1): real mode at vector:0000, CS base vector << 12.
        cpu.setSegment(Seg.CS, action.vector << 8, action.vector << 12, 0xffff, SegAttr.P | SegAttr.S | 0xb);
        s.setLo('rip', 0);
        cpu.refreshMode();
        apic.mpState = MpState.Runnable;
        return 'again';
      case 'nmi':
        apic.mpState = MpState.Runnable;
        s.setU32('nmiBlocked', 1);
        if (!this.deliver(() => deliverEvent(cpu, { vector: Vector.NMI, kind: 'nmi' }))) return this.lastResult!;
        return 'again';
      case 'none':
        break;
    }
    const state = apic.mpState;
    if (state === MpState.Runnable) return undefined;
    if (state === MpState.Halted && apic.hasWakeEvent((s.getLo('rflags') & Flag.IF) !== 0)) {
      apic.mpState = MpState.Runnable;
      return undefined;
    }
    // Halted or waiting for SIPI: sleep until an event, the next local timer, or a kick.
    if (Atomics.load(s.u8, s.addr('runImmediateExit')) !== 0) return this.exit(ExitReason.INTR);
    const timeout = apic.msUntilTimer();
    if (!this.canBlock && timeout === undefined) return this.exit(ExitReason.HLT);
    Atomics.wait(s.i32, s.addr('wakeSeq') >>> 2, seq, timeout);
    return 'again';
  }

  /** A #DB single-step trap owed to an instruction that exited to the VMM. */
  private trapAfterExit = false;
  /** Breakpoints and single-step traps around single-instruction blocks. */
  private readonly debug: DebugUnit;

  private lastResult: RunResult | undefined;

  /** Runs an event delivery; returns false when it ended in an exit (lastResult). */
  private deliver(fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (e) {
      const r = this.handleThrow(e);
      if (r) {
        this.lastResult = r;
        return false;
      }
      return true;
    }
  }

  /** Turns something thrown out of a block into an exception delivery or an exit. */
  private handleThrow(e: unknown): RunResult | undefined {
    const cpu = this.cpu;
    const s = cpu.state;
    cpu.resolveFlags();
    // A locked instruction that faulted or exited leaves the bus lock (jit/locked-rmw.ts).
    Atomics.compareExchange(s.u32, vmField('busLock') >>> 2, cpu.id + 1, 0);
    if (e instanceof GuestFault) {
      if (e.delta >= 0) s.setNum('rip', ripPlus(s.getLinear('rip'), e.delta, cpu));
      if (e.vector === Vector.PF && e.cr2 !== undefined) s.setNum('cr2', e.cr2);
      cpu.singleStepNext = false;
      cpu.mmioLog = [];
      const outcome = handleDoubleFault(cpu, e, (ev) => deliverEvent(cpu, ev));
      if (outcome === 'shutdown') {
        const code = e.errorCode === undefined ? '' : `(0x${e.errorCode.toString(16)})`;
        return this.exit(ExitReason.SHUTDOWN, `triple fault at RIP 0x${s.get64('rip').toString(16)}: ${VECTOR_NAMES[e.vector] ?? `vector ${e.vector}`}${code} could not be delivered`);
      }
      return undefined;
    }
    if (e instanceof ExitSignal) {
      if (e.delta >= 0) s.setNum('rip', ripPlus(s.getLinear('rip'), e.delta, cpu));
      if (e.reason === ExitReason.MMIO) this.lastExitWasMmio = true;
      // With the in-kernel irqchip HLT does not exit: the vCPU sleeps until an event (KVM's
      // kvm_emulate_halt with lapic_in_kernel, KVM_MP_STATE_HALTED).
      if (e.reason === ExitReason.HLT && this.apic) {
        this.apic.mpState = MpState.Halted;
        return undefined;
      }
      return this.exit(e.reason);
    }
    if (e instanceof InternalError) {
      if (e.delta >= 0) s.setNum('rip', ripPlus(s.getLinear('rip'), e.delta, cpu));
      return this.internalError(e.message);
    }
    // A host bug: report it as an internal error rather than killing the worker.
    const msg = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
    return this.internalError(`host error: ${msg}`);
  }

  private internalError(message: string): RunResult {
    const s = this.cpu.state;
    s.setU32('runInternalSuberror', KVM_INTERNAL_ERROR_EMULATION);
    s.setU32('runInternalNdata', 1);
    s.set64('runInternalData', s.get64('rip'));
    const rip = s.get64('rip').toString(16);
    const cs = s.getU32('segSel', Seg.CS).toString(16);
    return this.exit(ExitReason.INTERNAL_ERROR, `${message} at CS:RIP ${cs}:${rip}`);
  }

  private exit(reason: number, detail?: string): RunResult {
    const s = this.cpu.state;
    s.setU32('runExitReason', reason);
    const rflags = s.getLo('rflags');
    const ifFlag = (rflags & Flag.IF) !== 0;
    s.setU8('runIfFlag', ifFlag ? 1 : 0);
    s.setU8('runReadyForInterruptInjection', ifFlag && !s.getU32('interruptShadow') && s.getI32('pendingIrq') < 0 ? 1 : 0);
    if (reason < 32) s.setU32('statExits', s.getU32('statExits', reason) + 1, reason);
    return detail === undefined ? { reason } : { reason, detail };
  }

  // ---- KVM_INTERRUPT ----------------------------------------------------------------------

  /** Queues an external interrupt vector (userspace irqchip), delivered when IF allows. */
  interrupt(vector: number): void {
    this.cpu.state.setI32('pendingIrq', vector & 0xff);
  }

  // ---- registers ----------------------------------------------------------------------------

  getRegs(): KvmRegs {
    const s = this.cpu.state;
    this.cpu.resolveFlags();
    const r = {} as KvmRegs;
    REG_NAMES.forEach((n, i) => (r[n] = s.get64('gpr', i)));
    r.rip = s.get64('rip');
    r.rflags = s.get64('rflags');
    return r;
  }

  setRegs(r: KvmRegs): void {
    const s = this.cpu.state;
    REG_NAMES.forEach((n, i) => s.set64('gpr', r[n], i));
    s.set64('rip', r.rip);
    s.set64('rflags', (r.rflags & ~0x8028n) | 2n); // reserved bits 1 (set), 3, 5, 15 (clear)
    s.setU32('lazyKind', 0);
    this.cpu.refreshMode();
  }

  getSregs(): KvmSregs {
    const s = this.cpu.state;
    const out = {} as KvmSregs;
    for (const [name, seg] of SREG_ORDER) out[name] = this.getSegment(seg);
    out.gdt = { base: s.get64('gdtrBase'), limit: s.getU32('gdtrLimit') };
    out.idt = { base: s.get64('idtrBase'), limit: s.getU32('idtrLimit') };
    out.cr0 = s.get64('cr0');
    out.cr2 = s.get64('cr2');
    out.cr3 = s.get64('cr3');
    out.cr4 = s.get64('cr4');
    out.cr8 = s.get64('cr8');
    out.efer = s.get64('efer');
    out.apicBase = this.apic ? this.apic.lapic.apicBase : this.msrs.apicBase();
    return out;
  }

  setSregs(r: KvmSregs): void {
    const s = this.cpu.state;
    for (const [name, seg] of SREG_ORDER) {
      const v = r[name];
      const attr =
        (v.type & 0xf) | (v.s ? SegAttr.S : 0) | ((v.dpl & 3) << 5) | (v.present ? SegAttr.P : 0) |
        (v.avl ? SegAttr.AVL : 0) | (v.l ? SegAttr.L : 0) | (v.db ? SegAttr.DB : 0) | (v.g ? SegAttr.G : 0) |
        (v.unusable ? SegAttr.UNUSABLE : 0);
      this.setSegment(seg, v.selector, Number(v.base), v.limit >>> 0, attr);
    }
    s.set64('gdtrBase', r.gdt.base);
    s.setU32('gdtrLimit', r.gdt.limit);
    s.set64('idtrBase', r.idt.base);
    s.setU32('idtrLimit', r.idt.limit);
    s.set64('cr0', r.cr0);
    s.set64('cr2', r.cr2);
    s.set64('cr3', r.cr3);
    s.set64('cr4', r.cr4);
    s.set64('cr8', r.cr8);
    if (this.apic) {
      this.apic.lapic.setApicBase(r.apicBase, true);
      this.apic.lapic.setCr8(Number(r.cr8 & 0xfn));
    }
    s.set64('efer', r.efer);
    // KVM derives CPL from SS.DPL (CS.DPL in real mode it is 0) on KVM_SET_SREGS.
    s.setU32('cpl', r.cr0 & 1n ? r.ss.dpl & 3 : 0);
    this.cpu.mmu.flush();
    this.cpu.refreshMode();
  }

  private getSegment(seg: Seg): KvmSegment {
    const s = this.cpu.state;
    const a = s.getU32('segAttr', seg);
    return {
      base: s.get64('segBase', seg),
      limit: s.getU32('segLimit', seg),
      selector: s.getU32('segSel', seg),
      type: a & 0xf,
      present: a & SegAttr.P ? 1 : 0,
      // An AMD SYSRET leaves SS's attributes (DPL 0) under CPL 3 (core/cpu/syscall.ts); KVM on
      // AMD reports SS.DPL as the CPL the VMCB keeps (svm_get_segment), and SET_SREGS takes
      // the CPL back from it.
      dpl: seg === Seg.SS && isAmdCompatible(this.cpuid) ? s.getU32('cpl') : (a >> 5) & 3,
      db: a & SegAttr.DB ? 1 : 0,
      s: a & SegAttr.S ? 1 : 0,
      l: a & SegAttr.L ? 1 : 0,
      g: a & SegAttr.G ? 1 : 0,
      avl: a & SegAttr.AVL ? 1 : 0,
      unusable: a & SegAttr.UNUSABLE ? 1 : 0,
    };
  }

  getMsrs(indices: number[]): KvmMsrEntry[] {
    return indices.flatMap((index) => {
      const data = this.getMsr(index, true);
      return data === undefined ? [] : [{ index, data }];
    });
  }

  /** Returns how many entries were set (KVM_SET_MSRS stops at the first it cannot set). */
  setMsrs(entries: KvmMsrEntry[]): number {
    let n = 0;
    for (const e of entries) {
      if (!this.setMsr(e.index, e.data, true)) break;
      n++;
    }
    return n;
  }

  setCpuid2(entries: KvmCpuidEntry2[]): void {
    this.cpuid.setEntries(entries);
    // Translated blocks bake in CPUID-gated decisions (jit/emit/bmi.ts requireFeature): drop
    // them. KVM itself refuses a different table once the vCPU has run (kvm_set_cpuid).
    this.cpu.cache.clear();
  }
}

function ripPlus(rip: number, delta: number, cpu: Cpu): number {
  const size = cpu.codeSize();
  const v = rip + delta;
  return size === 8 ? v : v % (size === 4 ? 0x1_0000_0000 : 0x10000);
}
