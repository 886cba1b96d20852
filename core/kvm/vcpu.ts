// The VMM's handle on a vCPU: the vcpu-fd ioctls of KVM as async methods, plus the kvm_run
// fields the VMM reads and writes directly in shared memory (request_interrupt_window,
// immediate_exit, ready_for_interrupt_injection, if_flag), as with KVM's mmap'ed kvm_run.
import { VcpuState } from '../cpu/state.ts';
import type { VcpuBackend } from './backend.ts';
import { decodeExit, type VcpuExit } from './exit.ts';
import { ExitReason, KVM_EXIT_IO_OUT } from './exit-reason.ts';
import { KvmError } from './errors.ts';
import type { KernelIrqchip } from './irqchip/kernel-irqchip.ts';
import { ApicEvent, SharedVcpuIrq } from './irqchip/shared-apic.ts';
import type { MpState } from './irqchip/vcpu-apic.ts';
import { KVM_APIC_REG_SIZE } from './irqchip/apic-regs.ts';
import type { KvmCpuidEntry2, KvmMsrEntry, KvmRegs, KvmSregs } from './types.ts';

export class Vcpu {
  private readonly s: VcpuState;
  private readonly irq: SharedVcpuIrq;
  private running = false;

  constructor(
    readonly id: number,
    memory: WebAssembly.Memory,
    private readonly backend: VcpuBackend,
    private readonly irqchip?: KernelIrqchip,
  ) {
    this.s = new VcpuState(memory.buffer, id);
    this.irq = new SharedVcpuIrq(memory.buffer, id);
  }

  /**
   * KVM_RUN: runs the guest until it needs the VMM; the exit describes why. Port and MMIO
   * accesses to the in-kernel devices (PIC, IOAPIC, PIT) are served here and never reach
   * the VMM, as KVM serves them in the kernel.
   */
  async run(): Promise<VcpuExit> {
    if (this.running) throw new Error(`vCPU ${this.id}: run() while already running`);
    this.running = true;
    try {
      for (;;) {
        const r = await this.backend.run();
        const exit = decodeExit(this.s, r.detail);
        if (!this.irqchip) return exit;
        // An inline vCPU asks this thread for the 8259A's INTA cycle (vcpu-core.ts).
        if (exit.reason === ExitReason.IRQ_WINDOW_OPEN) {
          this.irqchip.offerExtInt();
          continue;
        }
        if (!this.serveInKernel(this.irqchip, exit)) return exit;
      }
    } finally {
      this.running = false;
    }
  }

  /** Completes an I/O or MMIO exit that an in-kernel device claims; false when it is the VMM's. */
  private serveInKernel(chip: KernelIrqchip, exit: VcpuExit): boolean {
    if (exit.reason === ExitReason.IO) {
      const { direction, size, port, count, data } = exit.io;
      if (!chip.io.claimsPort(port)) return false;
      const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const n = size as 1 | 2 | 4;
      for (let i = 0; i < count; i++) {
        if (direction === KVM_EXIT_IO_OUT) chip.io.writePort(port, n, getLe(dv, i * n, n));
        else setLe(dv, i * n, n, chip.io.readPort(port, n));
      }
      chip.offerExtInt();
      return true;
    }
    if (exit.reason === ExitReason.MMIO) {
      const { physAddr, data, len, isWrite } = exit.mmio;
      if (!chip.io.claimsMmio(physAddr)) return false;
      for (let i = 0; i < len; i += 4) {
        const n = Math.min(4, len - i) as 1 | 2 | 4;
        const dv = new DataView(data.buffer, data.byteOffset + i, n);
        if (isWrite) chip.io.writeMmio(physAddr + i, n, getLe(dv, 0, n));
        else setLe(dv, 0, n, chip.io.readMmio(physAddr + i, n));
      }
      return true;
    }
    return false;
  }

  /** KVM_GET_MP_STATE (in-kernel irqchip only). */
  getMpState(): MpState {
    if (!this.irqchip) throw new KvmError('ENXIO', 'KVM_GET_MP_STATE without an in-kernel irqchip');
    return Atomics.load(this.irq.u32, this.irq.index('mpState')) as MpState;
  }

  /** KVM_GET_LAPIC: struct kvm_lapic_state, the APIC's 1 KiB register page (TMCCT holds the current count). */
  getLapic(): Promise<Uint8Array> {
    if (!this.irqchip) return Promise.reject(new KvmError('ENXIO', 'KVM_GET_LAPIC without an in-kernel irqchip'));
    return this.backend.getLapic();
  }

  /**
   * KVM_SET_LAPIC: loads the register page (set IA32_APIC_BASE first, with KVM_SET_MSRS or
   * KVM_SET_SREGS, as api.rst asks); the timer restarts from the page's current count.
   */
  async setLapic(regs: Uint8Array): Promise<void> {
    if (!this.irqchip) throw new KvmError('ENXIO', 'KVM_SET_LAPIC without an in-kernel irqchip');
    if (regs.length !== KVM_APIC_REG_SIZE) throw new KvmError('EINVAL', `struct kvm_lapic_state is ${KVM_APIC_REG_SIZE} bytes, not ${regs.length}`);
    const refused = await this.backend.setLapic(regs);
    if (refused !== undefined) throw new KvmError('EINVAL', `KVM_SET_LAPIC: ${refused}`);
  }

  /** KVM_SET_MP_STATE. */
  setMpState(state: MpState): void {
    if (!this.irqchip) throw new KvmError('ENXIO', 'KVM_SET_MP_STATE without an in-kernel irqchip');
    if (!Number.isInteger(state) || state < 0 || state > 4) throw new KvmError('EINVAL', `mp_state ${state}`);
    Atomics.store(this.irq.u32, this.irq.index('mpState'), state);
    this.irq.raise(ApicEvent.Poke);
  }

  /** kvm_run.immediate_exit: when set, run() returns KVM_EXIT_INTR at once, or soon when running. */
  get immediateExit(): boolean {
    return Atomics.load(this.s.u8, this.s.addr('runImmediateExit')) !== 0;
  }
  set immediateExit(v: boolean) {
    Atomics.store(this.s.u8, this.s.addr('runImmediateExit'), v ? 1 : 0);
  }

  /** Makes a running vCPU return to the VMM (KVM: a signal plus immediate_exit). */
  kick(): void {
    this.immediateExit = true;
    // A vCPU asleep in HLT or wait-for-SIPI wakes up to see it.
    this.irq.wake();
  }

  get requestInterruptWindow(): boolean {
    return this.s.getU8('runRequestInterruptWindow') !== 0;
  }
  set requestInterruptWindow(v: boolean) {
    this.s.setU8('runRequestInterruptWindow', v ? 1 : 0);
  }
  get readyForInterruptInjection(): boolean {
    return this.s.getU8('runReadyForInterruptInjection') !== 0;
  }
  get ifFlag(): boolean {
    return this.s.getU8('runIfFlag') !== 0;
  }

  /** Guest statistics kept in shared memory (KVM's binary stats, the few we have). */
  stats(): { instructions: bigint; blocksCompiled: bigint; tlbMisses: bigint; exits: number[] } {
    return {
      instructions: this.s.get64('statInstructions'),
      blocksCompiled: this.s.get64('statBlocksCompiled'),
      tlbMisses: this.s.get64('statTlbMisses'),
      exits: Array.from({ length: 32 }, (_, i) => this.s.getU32('statExits', i)),
    };
  }

  getRegs(): Promise<KvmRegs> {
    return this.backend.getRegs();
  }
  setRegs(r: KvmRegs): Promise<void> {
    return this.backend.setRegs(r);
  }
  getSregs(): Promise<KvmSregs> {
    return this.backend.getSregs();
  }
  setSregs(r: KvmSregs): Promise<void> {
    return this.backend.setSregs(r);
  }
  getMsrs(indices: number[]): Promise<KvmMsrEntry[]> {
    return this.backend.getMsrs(indices);
  }
  setMsrs(entries: KvmMsrEntry[]): Promise<number> {
    return this.backend.setMsrs(entries);
  }
  setCpuid2(entries: KvmCpuidEntry2[]): Promise<void> {
    return this.backend.setCpuid2(entries);
  }
  /** KVM_INTERRUPT: queue an external interrupt (user-space irqchip). */
  interrupt(vector: number): Promise<void> {
    if (this.irqchip) return Promise.reject(new KvmError('ENXIO', 'KVM_INTERRUPT with an in-kernel irqchip'));
    return this.backend.interrupt(vector);
  }
  /** Puts the vCPU in its power-on state (what a VMM gets by re-creating the vcpu). */
  reset(): Promise<void> {
    return this.backend.reset();
  }
  destroy(): Promise<void> {
    return this.backend.destroy();
  }
}

function getLe(dv: DataView, at: number, size: number): number {
  return size === 1 ? dv.getUint8(at) : size === 2 ? dv.getUint16(at, true) : dv.getUint32(at, true);
}

function setLe(dv: DataView, at: number, size: number, v: number): void {
  if (size === 1) dv.setUint8(at, v);
  else if (size === 2) dv.setUint16(at, v, true);
  else dv.setUint32(at, v >>> 0, true);
}
