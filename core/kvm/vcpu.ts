// The VMM's handle on a vCPU: the vcpu-fd ioctls of KVM as async methods, plus the kvm_run
// fields the VMM reads and writes directly in shared memory (request_interrupt_window,
// immediate_exit, ready_for_interrupt_injection, if_flag), as with KVM's mmap'ed kvm_run.
import { VcpuState } from '../cpu/state.ts';
import type { VcpuBackend } from './backend.ts';
import { decodeExit, type VcpuExit } from './exit.ts';
import type { KvmCpuidEntry2, KvmMsrEntry, KvmRegs, KvmSregs } from './types.ts';

export class Vcpu {
  private readonly s: VcpuState;
  private running = false;

  constructor(
    readonly id: number,
    memory: WebAssembly.Memory,
    private readonly backend: VcpuBackend,
  ) {
    this.s = new VcpuState(memory.buffer, id);
  }

  /** KVM_RUN: runs the guest until it needs the VMM; the exit describes why. */
  async run(): Promise<VcpuExit> {
    if (this.running) throw new Error(`vCPU ${this.id}: run() while already running`);
    this.running = true;
    try {
      const r = await this.backend.run();
      return decodeExit(this.s, r.detail);
    } finally {
      this.running = false;
    }
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
