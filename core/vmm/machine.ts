// The machine: a PC with RAM at 0, COM1, isa-debug-exit and port 0x80, assembled on the
// KVM-shaped API like kvmtool assembles its guests. The interrupt controllers and the PIT
// are the in-kernel ones (KVM_CREATE_IRQCHIP, KVM_CREATE_PIT2): devices raise their lines
// with KVM_IRQ_LINE, and every vCPU's KVM_RUN loop runs here, serving its exits.
import { Kvm, type KvmPlatform } from '../kvm/kvm.ts';
import { ExitReason, EXIT_REASON_NAMES, KVM_EXIT_IO_OUT, KVM_SYSTEM_EVENT_SHUTDOWN } from '../kvm/exit-reason.ts';
import type { Vcpu } from '../kvm/vcpu.ts';
import type { Vm } from '../kvm/vm.ts';
import type { VcpuExit } from '../kvm/exit.ts';
import { MmioBus, PortIoBus, type AccessSize } from './bus.ts';
import {
  COM1, DebugExit, DEBUG_EXIT_IOBASE, I8042, I8042_AUX_IRQ, I8042_COMMAND_PORT, I8042_DATA_PORT, I8042_KBD_IRQ, Port80, PORT80_IOBASE,
  RtcCmos, RTC_IOBASE, RTC_IRQ, RTC_PORTS, Uart16550,
} from './devices/index.ts';
import { GsiLines } from './gsi-lines.ts';
import { CPUID_LEAF_TOPOLOGY, topologyLeaves } from '../cpu/cpuid-topology.ts';
import { CPU_VENDORS, DEFAULT_CPU_VENDOR, withVendor, type CpuVendor } from '../cpu/cpuid.ts';
import { loadKernel, type KernelImage } from './boot.ts';
import { AcpiPm, buildAcpiTables, DEFAULT_FADT, DEFAULT_MADT, PIIX4_SLP_TYP_S3, PIIX4_SLP_TYP_S5, type AcpiTables, type SleepState } from './acpi/index.ts';
import { BIOS_AREA_START, linuxE820 } from './loader/linux/e820.ts';
import { LINUX_MAX_RAM } from './loader/linux/load.ts';
import { FACS_FIRMWARE_WAKING_VECTOR } from './acpi/facs.ts';
import { FwCfg, FW_CFG_IOBASE, FW_CFG_PORTS } from './devices/fw-cfg.ts';
import {
  PcTestdev,
  PC_TESTDEV_FLUSH,
  PC_TESTDEV_IOMEM,
  PC_TESTDEV_IOMEM_LEN,
  PC_TESTDEV_IOPORT,
  PC_TESTDEV_IOPORT_BYTE,
  PC_TESTDEV_IRQ_BASE,
  PC_TESTDEV_IRQ_LINES,
  PC_TESTDEV_PORT_LEN,
} from './devices/pc-testdev.ts';
import { PcPciBus, PCI_ECAM_WINDOW } from './pci/platform.ts';
import type { BlockBackend } from './virtio/blk.ts';
import type { EntropySource } from './virtio/rng.ts';
import type { GuestMemory } from './virtio/guest-memory.ts';

/**
 * The CPU model's properties, as QEMU's `-cpu MODEL,prop=value,...` gives them (the CLI's
 * --cpu): only the vendor so far (default GenuineIntel, as the supported CPUID table says).
 */
export interface CpuModelConfig {
  vendor?: CpuVendor;
}

export interface MachineConfig {
  kernel: KernelImage;
  /** Multiboot modules (the CLI's --initrd). */
  modules?: KernelImage[];
  append?: string;
  memBytes: number;
  smp?: number;
  /** The CPU model (the CLI's --cpu). */
  cpu?: CpuModelConfig;
  /** Where vCPUs run: workers/node.ts, workers/browser.ts, or core/kvm/inline.ts. */
  platform: KvmPlatform;
  /** Bytes the guest writes to COM1 or to the virtio console. */
  onSerialOutput: (bytes: Uint8Array) => void;
  /** The virtio-blk disk (CLI --disk). */
  disk?: BlockBackend;
  /** Entropy for virtio-rng; default crypto.getRandomValues. */
  entropy?: EntropySource;
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
  /** ISA and PCI interrupt lines, wired-OR per GSI, to KVM_IRQ_LINE. */
  readonly pic: GsiLines;
  readonly uart: Uart16550;
  readonly rtc: RtcCmos;
  readonly i8042: I8042;
  private stopRequested = false;
  private ended: MachineResult | undefined;
  private wakeHalted: (() => void) | undefined;
  private running = false;
  /** PCI bus 0: host bridge, virtio-console/-rng/-blk, pci-testdev, the 0xCF9 reset register. */
  readonly pci: PcPciBus;
  /** ACPI PM1a event/control blocks and PM timer at the FADT's ports; SCI on IRQ 9. */
  readonly pm: AcpiPm;
  /**
   * Set by the reset register or an S3 sleep; served once every vCPU has left KVM_RUN (the
   * I/O exit that asked for it complete), as QEMU pauses all vCPUs for a system reset.
   */
  private pendingPower: 'reset' | 'S3' | undefined;
  /** vCPU run loops that are in run(), and those parked while a power request waits for the others. */
  private activeLoops = 0;
  private parkedLoops = 0;
  private powerGate: { promise: Promise<void>; open: () => void } | undefined;
  private wakeS3: (() => void) | undefined;

  private constructor(
    readonly vm: Vm,
    readonly vcpus: Vcpu[],
    private readonly config: MachineConfig,
  ) {
    this.pic = new GsiLines((gsi, level) => vm.irqLine(gsi, level));
    this.uart = new Uart16550(this.pic.line(COM1.irq), (b) => config.onSerialOutput(Uint8Array.of(b)));
    this.pio.register(COM1.iobase, COM1.length, this.uart, 'serial0 (16550A)');
    // The 8259A pair, ELCR, 8254 and port 0x61 are in the "kernel" (Vcpu.run serves them).
    const irqchip = vm.irqchip!;
    const rtcIrq = this.pic.line(RTC_IRQ);
    // The RTC interrupt is also an ACPI wake event (RTC_STS, 4.8.3.1.1): it ends an S3 sleep.
    const rtcLine = {
      setLevel: (level: boolean) => {
        rtcIrq.setLevel(level);
        if (level && this.suspended) this.acpiWakeEvent('rtc');
      },
    };
    this.rtc = new RtcCmos(rtcLine, irqchip.clock, irqchip.timers);
    this.pio.register(RTC_IOBASE, RTC_PORTS, this.rtc, 'rtc-cmos');
    // i8042: the 0xFE command pulses the CPU reset line: a reboot, as the 0xCF9 register does.
    this.i8042 = new I8042(this.pic.line(I8042_KBD_IRQ), this.pic.line(I8042_AUX_IRQ), {
      onReset: () => this.requestPower('reset'),
    });
    this.pio.register(I8042_DATA_PORT, 1, this.i8042.dataPort, 'i8042-data');
    this.pio.register(I8042_COMMAND_PORT, 1, this.i8042.commandPort, 'i8042-command');
    this.pio.register(DEBUG_EXIT_IOBASE, 1, new DebugExit((status) => this.finish({ kind: 'debug-exit', status })), 'isa-debug-exit');
    this.pio.register(PORT80_IOBASE, 1, new Port80(), 'port80');
    this.registerPlatformDevices(config);
    this.pci = new PcPciBus({
      memory: guestMemory(vm, config.memBytes),
      isaIrq: (irq) => this.pic.line(irq),
      consoleOutput: config.onSerialOutput,
      entropy: config.entropy ?? defaultEntropy,
      disk: config.disk,
      onReset: () => this.requestPower('reset'),
    });
    this.pci.register(this.pio, this.mmio);
    this.pm = new AcpiPm({
      sci: this.pic.line(DEFAULT_FADT.sciIrq),
      clock: irqchip.clock,
      timers: irqchip.timers,
      slpTyp: { S3: PIIX4_SLP_TYP_S3, S5: PIIX4_SLP_TYP_S5 },
      onSleep: (state) => this.sleep(state),
    });
    this.pio.register(DEFAULT_FADT.pm1aEvtBlk, 4, this.pm.eventBlock, 'acpi-pm1a-evt');
    this.pio.register(DEFAULT_FADT.pm1aCntBlk, 2, this.pm.controlBlock, 'acpi-pm1a-cnt');
    this.pio.register(DEFAULT_FADT.pmTmrBlk, 4, this.pm.timerBlock, 'acpi-pm-tmr');
    // The vCPUs read the PM timer themselves, at the time of the IN (irqchip/local-timers.ts).
    irqchip.timerMirror?.publishPmTimer(DEFAULT_FADT.pmTmrBlk);
  }

  /** Builds the VM, loads the kernel and readies the boot vCPU. */
  static async create(config: MachineConfig): Promise<MachineCreateResult> {
    const kvm = Kvm.open(config.platform);
    const vm = kvm.createVm();
    const smp = config.smp ?? 1;
    if (!Number.isInteger(smp) || smp < 1 || smp > 64) return { ok: false, error: `--smp ${smp}: must be 1..64` };
    const vendor = config.cpu?.vendor ?? DEFAULT_CPU_VENDOR;
    if (!CPU_VENDORS.includes(vendor)) return { ok: false, error: `CPU vendor "${String(vendor)}": must be ${CPU_VENDORS.join(' or ')}` };
    const mem = config.memBytes;
    if (mem < 2 * 1024 * 1024 || mem % 4096) return { ok: false, error: `memory size ${mem} bytes: must be at least 2 MiB and a multiple of 4 KiB` };
    if (mem > LINUX_MAX_RAM) return { ok: false, error: `memory size ${mem / 1048576} MiB: at most ${LINUX_MAX_RAM / 1048576} MiB (the PCI hole starts at 0x${PCI_ECAM_WINDOW.base.toString(16)})` };
    let host: number;
    try {
      host = vm.allocateGuestMemory(mem);
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
    vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: mem, userspaceAddr: host });
    // In-kernel 8259A pair, IOAPIC and local APICs, and the 8254 on GSI 0.
    vm.createIrqchip();
    vm.setGsiRouting(pcGsiRouting());
    vm.createPit2();
    // The vCPU workers start side by side: loading the engine in each is most of the startup.
    const vcpus: Vcpu[] = await Promise.all(Array.from({ length: smp }, (_, id) => vm.createVcpu(id)));
    // KVM_SET_CPUID2 as QEMU does it: the supported table as the chosen vendor's CPU presents it,
    // with the topology of this machine (one core per vCPU).
    if (smp > 1 || vendor !== DEFAULT_CPU_VENDOR) {
      let cpuid = withVendor(kvm.getSupportedCpuid(), vendor, smp);
      if (smp > 1) cpuid = [...cpuid.filter((e) => e.function !== CPUID_LEAF_TOPOLOGY), ...topologyLeaves(smp)];
      for (const v of vcpus) await v.setCpuid2(cpuid);
    }
    const machine = new Machine(vm, vcpus, config);
    const longMode = kvm.getSupportedCpuid().some((e) => e.function === CPUID_EXT_FEATURES && (e.edx & CPUID_EXT_EDX_LM) !== 0);
    machine.longMode = longMode;
    const error = await machine.loadFirmwareAndKernel();
    if (error !== undefined) {
      await vm.destroy();
      return { ok: false, error };
    }
    return { ok: true, machine };
  }

  private longMode = false;
  private acpi: AcpiTables | undefined;

  /**
   * What firmware and the boot loader leave in RAM: the ACPI tables in the BIOS area
   * (OSPM finds the RSDP there, ACPI 6.5 5.2.5.1), then the kernel. Run at creation and
   * again on every reset.
   */
  private async loadFirmwareAndKernel(): Promise<string | undefined> {
    const c = this.config;
    this.acpi = buildAcpiTables(BIOS_AREA_START, {
      cpus: this.vcpus.length,
      madt: DEFAULT_MADT,
      platform: { slpTypS3: PIIX4_SLP_TYP_S3, pci: this.pci.acpiDescription() },
    });
    this.vm.guestView(this.acpi.address, this.acpi.bytes.length).set(this.acpi.bytes);
    const r = await loadKernel(this.vm, this.vcpus[0], c.memBytes, c.kernel, c.modules ?? [], c.append ?? '', {
      longMode: this.longMode,
      acpiRsdpAddr: this.acpi.rsdpAddress,
      e820: linuxE820(c.memBytes),
    });
    return r.ok ? undefined : r.error.message;
  }

  /** fw_cfg and QEMU's pc-testdev, the platform devices kvm-unit-tests expect. */
  private registerPlatformDevices(config: MachineConfig): void {
    this.pio.register(FW_CFG_IOBASE, FW_CFG_PORTS, new FwCfg({ ramSize: config.memBytes, cpus: this.vcpus.length }), 'fw_cfg');
    const testdev = new PcTestdev((irq) => this.pic.line(irq));
    this.pio.register(PC_TESTDEV_IOPORT, PC_TESTDEV_PORT_LEN, testdev.ioport, 'pc-testdev-ioport');
    this.pio.register(PC_TESTDEV_FLUSH, PC_TESTDEV_PORT_LEN, testdev.flush, 'pc-testdev-flush-page');
    this.pio.register(PC_TESTDEV_IOPORT_BYTE, PC_TESTDEV_PORT_LEN, testdev.ioportByte, 'pc-testdev-ioport-byte');
    this.pio.register(PC_TESTDEV_IRQ_BASE, PC_TESTDEV_IRQ_LINES, testdev.irqLines, 'pc-testdev-irq-line');
    this.mmio.register(PC_TESTDEV_IOMEM, PC_TESTDEV_IOMEM_LEN, testdev.iomem, 'pc-testdev-iomem');
  }

  /** PM1a_CNT.SLP_EN (ACPI 6.5, 4.8.3.2.1): S5 ends the run like a powered-off PC; S3 suspends. */
  private sleep(state: SleepState): void {
    if (state === 'S5') this.finish({ kind: 'system-event', type: KVM_SYSTEM_EVENT_SHUTDOWN });
    else this.requestPower('S3');
  }

  private requestPower(what: 'reset' | 'S3'): void {
    this.pendingPower ??= what;
    // Every vCPU leaves KVM_RUN: a reset puts all of them in their power-on state, the
    // application processors back in wait-for-SIPI (KVM_EXIT_SYSTEM_EVENT_RESET is a VM-wide event).
    for (const v of this.vcpus) v.kick();
  }

  /**
   * A vCPU loop stops here while a power request is pending. The last vCPU to arrive serves
   * it, then all go on; finish() and stop() open the gate too.
   */
  private async parkForPower(): Promise<void> {
    if (!this.powerGate) {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => (open = resolve));
      this.powerGate = { promise, open };
    }
    const gate = this.powerGate;
    if (++this.parkedLoops < this.activeLoops) return gate.promise;
    try {
      await this.servePowerRequest();
    } finally {
      this.openPowerGate();
    }
  }

  private openPowerGate(): void {
    this.parkedLoops = 0;
    this.powerGate?.open();
    this.powerGate = undefined;
  }

  /** In ACPI S3 (suspended to RAM), waiting for a wake event. */
  get suspended(): boolean {
    return this.wakeS3 !== undefined;
  }

  /** An ACPI wake event (the RTC alarm, the power button); true if it ends an S3 sleep. */
  acpiWakeEvent(source: 'rtc' | 'power-button'): boolean {
    const wakes = this.pm.wakeEvent(source);
    if (wakes) this.wakeS3?.();
    return wakes;
  }

  /** Serves a reset or S3 request once the I/O exit that made it is complete. */
  private async servePowerRequest(): Promise<void> {
    const what = this.pendingPower;
    this.pendingPower = undefined;
    if (what === 'reset') {
      // A warm reset re-runs "firmware": devices to power-on state, the kernel loaded afresh (QEMU -kernel does the same).
      for (const v of this.vcpus) await v.reset();
      this.pci.reset();
      this.pm.reset();
      const error = await this.loadFirmwareAndKernel();
      if (error !== undefined) this.finish({ kind: 'internal-error', detail: `reset: ${error}` });
    } else if (what === 'S3') {
      // Suspend to RAM: the vCPU stops until a wake event, then starts at the FACS waking
      // vector in real mode, CS:IP = (vector >> 4):(vector & 0xF) (ACPI 6.5, 5.2.10).
      await new Promise<void>((resolve) => {
        this.wakeS3 = () => {
          this.wakeS3 = undefined;
          resolve();
        };
        this.wakeHalted = this.wakeS3;
      });
      if (this.stopRequested) return;
      const facs = this.acpi?.tables.find((t) => t.signature === 'FACS');
      const vector = facs ? new DataView(this.vm.guestView(facs.address + FACS_FIRMWARE_WAKING_VECTOR, 4).slice().buffer).getUint32(0, true) : 0;
      const bsp = this.vcpus[0];
      for (const v of this.vcpus) await v.reset();
      const sregs = await bsp.getSregs();
      sregs.cs = { ...sregs.cs, selector: vector >>> 4, base: BigInt(vector & ~0xf) };
      await bsp.setSregs(sregs);
      const regs = await bsp.getRegs();
      regs.rip = BigInt(vector & 0xf);
      await bsp.setRegs(regs);
      this.pm.resumed();
    }
  }

  /**
   * Runs every vCPU's KVM_RUN loop until the guest ends the run, fails, or stop() is
   * called. Application processors wait in the kernel for INIT and a start-up IPI.
   */
  async run(): Promise<MachineResult> {
    if (this.running) throw new Error('machine already running');
    this.running = true;
    this.stopRequested = false;
    this.ended = undefined;
    this.activeLoops = this.vcpus.length;
    try {
      const loops = this.vcpus.map((v) => this.runVcpu(v));
      const result = await loops[0]!;
      // The boot vCPU is done: bring the others out of KVM_RUN before they are destroyed.
      for (const v of this.vcpus) v.kick();
      await Promise.all(loops);
      return result;
    } finally {
      this.running = false;
    }
  }

  private async runVcpu(vcpu: Vcpu): Promise<MachineResult> {
    while (!this.ended) {
      if (this.stopRequested) return this.finish({ kind: 'stopped' });
      if (this.pendingPower !== undefined) {
        await this.parkForPower();
        continue;
      }
      vcpu.immediateExit = false;
      let exit: VcpuExit;
      try {
        exit = await vcpu.run();
      } catch (e) {
        return this.finish({ kind: 'worker-died', detail: (e as Error).message });
      }
      await this.handleExit(exit);
    }
    return this.ended;
  }

  /** Types into COM1. */
  sendSerialInput(bytes: Uint8Array): void {
    this.uart.enqueueInput(bytes);
    // A guest with console=hvc0 reads the virtio console instead; one without a driver never sees it.
    if (this.pci.console.active) this.pci.console.enqueueInput(bytes);
    this.wakeHalted?.();
  }

  /** Asks a running machine to stop at its next exit. */
  stop(): void {
    this.stopRequested = true;
    for (const v of this.vcpus) v.kick();
    this.wakeHalted?.();
    this.openPowerGate();
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
    if (!this.ended) for (const v of this.vcpus) v.kick();
    this.ended ??= r;
    this.openPowerGate();
    return this.ended;
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
        // With the in-kernel irqchip only a vCPU in the VMM's own thread (inline.ts) exits
        // on HLT, to let this thread raise the interrupt that ends it: yield, run again.
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
    if (this.stopRequested) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.wakeHalted = undefined;
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, HALT_POLL_MS);
      this.wakeHalted = done;
    });
  }
}

/**
 * GSI routing as QEMU's PC sets it with KVM's irqchip (hw/i386/kvm/ioapic.c): ISA IRQ n on
 * 8259A input n (not 2, the cascade) and, since the MADT overrides ISA IRQ 0 to GSI 2
 * (acpi/madt.ts), GSI 0 (the PIT) on IOAPIC pin 2; every other GSI n on pin n.
 */
function pcGsiRouting(): { gsi: number; irqchip: 'pic' | 'ioapic'; pin: number }[] {
  const routes: { gsi: number; irqchip: 'pic' | 'ioapic'; pin: number }[] = [];
  for (let gsi = 0; gsi < 24; gsi++) {
    if (gsi < 16 && gsi !== 2) routes.push({ gsi, irqchip: 'pic', pin: gsi });
    if (gsi === 0) routes.push({ gsi, irqchip: 'ioapic', pin: 2 });
    else if (gsi !== 2) routes.push({ gsi, irqchip: 'ioapic', pin: gsi });
  }
  return routes;
}

/** How long an inline vCPU's HLT exit yields the thread before it runs (and checks) again. */
const HALT_POLL_MS = 1;

/** CPUID 0x80000001 EDX bit 29: Intel 64 / long mode (SDM Vol. 2A, CPUID). */
const CPUID_EXT_FEATURES = 0x80000001;
const CPUID_EXT_EDX_LM = 1 << 29;

/** Guest RAM for DMA: anything outside [0, ramSize) is not RAM and answers undefined/false. */
function guestMemory(vm: Vm, ramSize: number): GuestMemory {
  const inRam = (gpa: number, len: number) => Number.isSafeInteger(gpa) && gpa >= 0 && len >= 0 && gpa + len <= ramSize;
  return {
    read: (gpa, len) => (inRam(gpa, len) ? vm.guestView(gpa, len) : undefined),
    write: (gpa, bytes) => {
      if (!inRam(gpa, bytes.length)) return false;
      vm.guestView(gpa, bytes.length).set(bytes);
      return true;
    },
  };
}

/** crypto.getRandomValues, which Node and browsers both have; at most 65536 bytes a call. */
const defaultEntropy: EntropySource = (buffer) => {
  const crypto = (globalThis as unknown as { crypto: { getRandomValues(b: Uint8Array): void } }).crypto;
  for (let at = 0; at < buffer.length; at += 65536) crypto.getRandomValues(buffer.subarray(at, Math.min(buffer.length, at + 65536)));
};

function readLe(dv: DataView, at: number, size: number): number {
  return size === 1 ? dv.getUint8(at) : size === 2 ? dv.getUint16(at, true) : dv.getUint32(at, true);
}

function writeLe(dv: DataView, at: number, size: number, v: number): void {
  if (size === 1) dv.setUint8(at, v);
  else if (size === 2) dv.setUint16(at, v, true);
  else dv.setUint32(at, v >>> 0, true);
}
