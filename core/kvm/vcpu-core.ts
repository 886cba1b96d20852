// The in-"kernel" side of a vCPU: what the KVM vcpu ioctls do (KVM_RUN, KVM_GET/SET_REGS,
// KVM_GET/SET_SREGS, KVM_GET/SET_MSRS, KVM_SET_CPUID2, KVM_INTERRUPT). It runs in the vCPU's
// worker; workers/vcpu.worker.ts exposes it to the VMM through comlink.
import { Cpu } from '../cpu/cpu.ts';
import { CpuidModel } from '../cpu/cpuid.ts';
import { ExitSignal, GuestFault, InternalError } from '../cpu/faults.ts';
import { deliverEvent } from '../cpu/interrupts.ts';
import { MsrModel } from '../cpu/msr.ts';
import { Flag, Seg, SegAttr, Vector } from '../cpu/registers.ts';
import { SEGMENT_SLOTS } from '../cpu/layout.ts';
import { ExitReason, KVM_INTERNAL_ERROR_EMULATION } from './exit-reason.ts';
import { REG_NAMES, type KvmCpuidEntry2, type KvmMsrEntry, type KvmRegs, type KvmSegment, type KvmSregs } from './types.ts';
import { handleDoubleFault } from '../cpu/double-fault.ts';
import { DispatchResult } from '../../jit/dispatcher.ts';

/** How often (in blocks) the run loop polls kvm_run.immediate_exit for a kick. */
const KICK_POLL_BLOCKS = 64;

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
  private lastExitWasMmio = false;

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly id: number,
  ) {
    this.cpu = new Cpu(memory, id);
    this.msrs = new MsrModel(this.cpu);
    this.cpu.env = { cpuid: this.cpuid, msrs: this.msrs, vcpu: this };
    this.reset();
  }

  /** Power-on / INIT state (SDM Vol. 3A 10.1.1, Table 10-1). */
  reset(): void {
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
    this.msrs.reset();
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
      s.setLo('dr', s.getLo('dr', 6) | 0x4000, 6);
      if (!this.deliver(() => deliverEvent(cpu, { vector: Vector.DB, kind: 'exception' }))) return this.lastResult!;
    }
    if (this.lastExitWasMmio) {
      this.lastExitWasMmio = false;
      cpu.completeMmio();
    }
    if (s.getU8('runImmediateExit')) return this.exit(ExitReason.INTR);
    let blocks = 0;
    for (;;) {
      const rflags = s.getLo('rflags');
      const shadow = s.getU32('interruptShadow') !== 0;
      const canInject = (rflags & Flag.IF) !== 0 && !shadow;
      const pending = s.getI32('pendingIrq');
      if (pending >= 0 && canInject) {
        s.setI32('pendingIrq', -1);
        if (!this.deliver(() => deliverEvent(cpu, { vector: pending, kind: 'external' }))) return this.lastResult!;
        continue;
      }
      if (s.getU8('runRequestInterruptWindow') && canInject && pending < 0) return this.exit(ExitReason.IRQ_WINDOW_OPEN);
      if (++blocks % KICK_POLL_BLOCKS === 0 && Atomics.load(s.u8, s.addr('runImmediateExit')) !== 0) return this.exit(ExitReason.INTR);
      const single = cpu.singleStepNext || shadow || (rflags & Flag.TF) !== 0;
      try {
        // Fast path: the Wasm dispatcher chains cached blocks until a miss or an event.
        if (!single) {
          const r = cpu.dispatch();
          cpu.resolveFlags();
          if (r === DispatchResult.Attention) {
            if (Atomics.load(s.u8, s.addr('runImmediateExit')) !== 0) return this.exit(ExitReason.INTR);
            continue;
          }
        }
        const block = cpu.lookup(single);
        block.run();
        cpu.resolveFlags();
        if (single) {
          cpu.singleStepNext = false;
          cpu.mmioLog = [];
          if (shadow) s.setU32('interruptShadow', 0);
          // Single-step trap after the instruction (SDM Vol. 3A 18.3.1.4): #DB with DR6.BS.
          if (rflags & Flag.TF) {
            s.setLo('dr', s.getLo('dr', 6) | 0x4000, 6);
            if (!this.deliver(() => deliverEvent(cpu, { vector: Vector.DB, kind: 'exception' }))) return this.lastResult!;
          }
        }
      } catch (e) {
        // An I/O or HLT exit from a single-stepped instruction ends it (IN completes at the
        // next KVM_RUN): its interrupt shadow is over and a TF trap follows the completion.
        if (single && e instanceof ExitSignal && e.reason !== ExitReason.MMIO) {
          cpu.singleStepNext = false;
          if (shadow) s.setU32('interruptShadow', 0);
          if (rflags & Flag.TF) this.trapAfterExit = true;
        }
        const r = this.handleThrow(e);
        if (r) return r;
      }
    }
  }

  /** A #DB single-step trap owed to an instruction that exited to the VMM. */
  private trapAfterExit = false;

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
    if (e instanceof GuestFault) {
      if (e.delta >= 0) s.setNum('rip', ripPlus(s.getNum('rip'), e.delta, cpu));
      if (e.vector === Vector.PF && e.cr2 !== undefined) s.setNum('cr2', e.cr2);
      cpu.singleStepNext = false;
      cpu.mmioLog = [];
      const outcome = handleDoubleFault(cpu, e, (ev) => deliverEvent(cpu, ev));
      if (outcome === 'shutdown') {
        const code = e.errorCode === undefined ? '' : `(0x${e.errorCode.toString(16)})`;
        return this.exit(ExitReason.SHUTDOWN, `triple fault at RIP 0x${s.getNum('rip').toString(16)}: ${VECTOR_NAMES[e.vector] ?? `vector ${e.vector}`}${code} could not be delivered`);
      }
      return undefined;
    }
    if (e instanceof ExitSignal) {
      if (e.delta >= 0) s.setNum('rip', ripPlus(s.getNum('rip'), e.delta, cpu));
      if (e.reason === ExitReason.MMIO) this.lastExitWasMmio = true;
      return this.exit(e.reason);
    }
    if (e instanceof InternalError) {
      if (e.delta >= 0) s.setNum('rip', ripPlus(s.getNum('rip'), e.delta, cpu));
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
    s.setNum('runInternalData', s.getNum('rip'));
    const rip = s.getNum('rip').toString(16);
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
    out.apicBase = this.msrs.apicBase();
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
      dpl: (a >> 5) & 3,
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
      const data = this.msrs.get(index, true);
      return data === undefined ? [] : [{ index, data }];
    });
  }

  /** Returns how many entries were set (KVM_SET_MSRS stops at the first it cannot set). */
  setMsrs(entries: KvmMsrEntry[]): number {
    let n = 0;
    for (const e of entries) {
      if (!this.msrs.set(e.index, e.data, true)) break;
      n++;
    }
    return n;
  }

  setCpuid2(entries: KvmCpuidEntry2[]): void {
    this.cpuid.setEntries(entries);
  }
}

function ripPlus(rip: number, delta: number, cpu: Cpu): number {
  const size = cpu.codeSize();
  const v = rip + delta;
  return size === 8 ? v : v % (size === 4 ? 0x1_0000_0000 : 0x10000);
}
