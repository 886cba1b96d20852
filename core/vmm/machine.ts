// The machine: a PC with RAM at 0, COM1, the 8259A pair, isa-debug-exit and port 0x80,
// assembled on the KVM-shaped API like kvmtool assembles its guests. It runs the boot
// vCPU's KVM_RUN loop, serves its exits, and injects PIC interrupts the user-space-irqchip
// way (KVM_INTERRUPT when ready_for_interrupt_injection, else request_interrupt_window).
import { Kvm, type KvmPlatform } from '../kvm/kvm.ts';
import { ExitReason, EXIT_REASON_NAMES, KVM_EXIT_IO_OUT } from '../kvm/exit-reason.ts';
import type { Vcpu } from '../kvm/vcpu.ts';
import type { Vm } from '../kvm/vm.ts';
import type { VcpuExit } from '../kvm/exit.ts';
import { MmioBus, PortIoBus, type AccessSize } from './bus.ts';
import { COM1, DebugExit, DEBUG_EXIT_IOBASE, Pic8259Pair, PIC8259_PORTS, Port80, PORT80_IOBASE, Uart16550 } from './devices/index.ts';
import { loadKernel, type KernelImage } from './boot.ts';

export interface MachineConfig {
  kernel: KernelImage;
  /** Multiboot modules (the CLI's --initrd). */
  modules?: KernelImage[];
  append?: string;
  memBytes: number;
  smp?: number;
  /** Where vCPUs run: workers/node.ts, workers/browser.ts, or core/kvm/inline.ts. */
  platform: KvmPlatform;
  /** Bytes the guest writes to COM1. */
  onSerialOutput: (bytes: Uint8Array) => void;
}

/** How a run ended. */
export type MachineResult =
  | { kind: 'debug-exit'; status: number }
  | { kind: 'shutdown'; detail: string }
  | { kind: 'internal-error'; detail: string }
  | { kind: 'system-event'; type: number }
  | { kind: 'stopped' }
  | { kind: 'worker-died'; detail: string };

export interface MachineStats {
  instructions: number;
  blocksCompiled: number;
  tlbMisses: number;
  /** Exits by KVM exit reason name. */
  exits: Record<string, number>;
}

export type MachineCreateResult = { ok: true; machine: Machine } | { ok: false; error: string };

export class Machine {
  readonly pio = new PortIoBus();
  readonly mmio = new MmioBus();
  readonly pic = new Pic8259Pair();
  readonly uart: Uart16550;
  private stopRequested = false;
  private ended: MachineResult | undefined;
  private wakeHalted: (() => void) | undefined;
  private running = false;

  private constructor(
    readonly vm: Vm,
    readonly vcpus: Vcpu[],
    config: MachineConfig,
  ) {
    this.uart = new Uart16550(this.pic.line(COM1.irq), (b) => config.onSerialOutput(Uint8Array.of(b)));
    this.pio.register(COM1.iobase, COM1.length, this.uart, 'serial0 (16550A)');
    this.pio.register(PIC8259_PORTS.master, 2, this.pic.master, 'pic-master');
    this.pio.register(PIC8259_PORTS.slave, 2, this.pic.slave, 'pic-slave');
    this.pio.register(PIC8259_PORTS.elcr, 2, this.pic.elcr, 'elcr');
    this.pio.register(DEBUG_EXIT_IOBASE, 1, new DebugExit((status) => this.finish({ kind: 'debug-exit', status })), 'isa-debug-exit');
    this.pio.register(PORT80_IOBASE, 1, new Port80(), 'port80');
    // A PIC output that rises while the vCPU runs must bring it back to inject (kick).
    this.pic.onInterruptChange = () => {
      this.vcpus[0].kick();
      this.wakeHalted?.();
    };
  }

  /** Builds the VM, loads the kernel and readies the boot vCPU. */
  static async create(config: MachineConfig): Promise<MachineCreateResult> {
    const kvm = Kvm.open(config.platform);
    const vm = kvm.createVm();
    const smp = config.smp ?? 1;
    if (!Number.isInteger(smp) || smp < 1 || smp > 64) return { ok: false, error: `--smp ${smp}: must be 1..64` };
    const mem = config.memBytes;
    if (mem < 2 * 1024 * 1024 || mem % 4096) return { ok: false, error: `memory size ${mem} bytes: must be at least 2 MiB and a multiple of 4 KiB` };
    let host: number;
    try {
      host = vm.allocateGuestMemory(mem);
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
    vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: mem, userspaceAddr: host });
    const vcpus: Vcpu[] = [];
    for (let id = 0; id < smp; id++) vcpus.push(await vm.createVcpu(id));
    const r = await loadKernel(vm, vcpus[0], mem, config.kernel, config.modules ?? [], config.append ?? '');
    if (!r.ok) {
      await vm.destroy();
      return { ok: false, error: r.error.message };
    }
    return { ok: true, machine: new Machine(vm, vcpus, config) };
  }

  /** Runs the boot vCPU until the guest ends the run, fails, or stop() is called. */
  async run(): Promise<MachineResult> {
    if (this.running) throw new Error('machine already running');
    this.running = true;
    this.stopRequested = false;
    this.ended = undefined;
    const vcpu = this.vcpus[0];
    try {
      while (!this.ended) {
        if (this.stopRequested) return this.finish({ kind: 'stopped' });
        this.injectInterrupts(vcpu);
        let exit: VcpuExit;
        try {
          exit = await vcpu.run();
        } catch (e) {
          return this.finish({ kind: 'worker-died', detail: (e as Error).message });
        }
        await this.handleExit(exit);
      }
      return this.ended;
    } finally {
      this.running = false;
    }
  }

  /** Types into COM1. */
  sendSerialInput(bytes: Uint8Array): void {
    this.uart.enqueueInput(bytes);
    this.wakeHalted?.();
  }

  /** Asks a running machine to stop at its next exit. */
  stop(): void {
    this.stopRequested = true;
    this.vcpus[0].kick();
    this.wakeHalted?.();
  }

  stats(): MachineStats {
    const exits: Record<string, number> = {};
    let instructions = 0;
    let blocksCompiled = 0;
    let tlbMisses = 0;
    for (const v of this.vcpus) {
      const st = v.stats();
      instructions += Number(st.instructions);
      blocksCompiled += Number(st.blocksCompiled);
      tlbMisses += Number(st.tlbMisses);
      st.exits.forEach((n, reason) => {
        if (n) exits[EXIT_REASON_NAMES[reason] ?? String(reason)] = (exits[EXIT_REASON_NAMES[reason] ?? String(reason)] ?? 0) + n;
      });
    }
    return { instructions, blocksCompiled, tlbMisses, exits };
  }

  async destroy(): Promise<void> {
    await this.vm.destroy();
  }

  private finish(r: MachineResult): MachineResult {
    this.ended ??= r;
    return this.ended;
  }

  /** User-space irqchip injection (Documentation/virt/kvm/api.rst, KVM_INTERRUPT). */
  private injectInterrupts(vcpu: Vcpu): void {
    vcpu.immediateExit = false;
    if (!this.pic.hasInterrupt()) {
      vcpu.requestInterruptWindow = false;
      return;
    }
    if (vcpu.readyForInterruptInjection) {
      void vcpu.interrupt(this.pic.acknowledge());
      vcpu.requestInterruptWindow = false;
    } else vcpu.requestInterruptWindow = true;
  }

  private async handleExit(exit: VcpuExit): Promise<void> {
    switch (exit.reason) {
      case ExitReason.IO: {
        const { direction, size, port, count, data } = exit.io;
        const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
        for (let i = 0; i < count; i++) {
          const at = i * size;
          if (direction === KVM_EXIT_IO_OUT) this.pio.write(port, size as AccessSize, readLe(dv, at, size));
          else writeLe(dv, at, size, this.pio.read(port, size as AccessSize));
        }
        return;
      }
      case ExitReason.MMIO: {
        const { physAddr, data, len, isWrite } = exit.mmio;
        for (let i = 0; i < len; i += 4) {
          const n = Math.min(4, len - i) as AccessSize;
          const dv = new DataView(data.buffer, data.byteOffset + i, n);
          if (isWrite) this.mmio.write(physAddr + i, n, readLe(dv, 0, n));
          else writeLe(dv, 0, n, this.mmio.read(physAddr + i, n));
        }
        return;
      }
      case ExitReason.HLT:
        // Nothing to do until an interrupt is pending (the guest halted with IF=1) or the
        // user stops us; a halt with IF=0 and nothing pending waits for stop().
        await this.waitForInterrupt();
        return;
      case ExitReason.INTR:
      case ExitReason.IRQ_WINDOW_OPEN:
        return;
      case ExitReason.SHUTDOWN:
        this.finish({ kind: 'shutdown', detail: exit.detail });
        return;
      case ExitReason.INTERNAL_ERROR:
        this.finish({ kind: 'internal-error', detail: exit.detail });
        return;
      case ExitReason.SYSTEM_EVENT:
        this.finish({ kind: 'system-event', type: exit.systemEvent.type });
        return;
      default:
        this.finish({ kind: 'internal-error', detail: `unexpected exit ${EXIT_REASON_NAMES[exit.reason] ?? exit.reason}` });
    }
  }

  private waitForInterrupt(): Promise<void> {
    if (this.pic.hasInterrupt() || this.stopRequested) return Promise.resolve();
    return new Promise((resolve) => {
      this.wakeHalted = () => {
        this.wakeHalted = undefined;
        resolve();
      };
    });
  }
}

function readLe(dv: DataView, at: number, size: number): number {
  return size === 1 ? dv.getUint8(at) : size === 2 ? dv.getUint16(at, true) : dv.getUint32(at, true);
}

function writeLe(dv: DataView, at: number, size: number, v: number): void {
  if (size === 1) dv.setUint8(at, v);
  else if (size === 2) dv.setUint16(at, v, true);
  else dv.setUint32(at, v >>> 0, true);
}
