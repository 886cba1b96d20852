// PCI bus 0 of the PC machine, as the VMM assembles it (kvmtool's pci.c + virtio/pci.c, the
// device part of QEMU's pc_init): the i440FX host bridge and the PIIX reset control
// register behind configuration mechanism #1 at 0xCF8-0xCFF, then
//   00:01.0 virtio-console    00:02.0 virtio-rng    00:03.0 pci-testdev
//   00:04.0 virtio-blk (when a disk is given)
// BARs come from the windows in pc-layout.ts, assigned before the guest starts as firmware would.
// INTx routing: slot s, pin p (1 = INTA#) goes to ISA IRQ PCI_INTX_IRQS[(s + p - 1) % 2],
// the usual swizzle over the level-triggered IRQs the MADT declares; `routes` is the same
// table for the DSDT's _PRT and PCI_INTERRUPT_LINE carries the IRQ for non-ACPI guests.

import type { IrqLine, MmioBus, PortIoBus } from '../bus.ts';
import type { DsdtPlatform, PciRoute } from '../acpi/dsdt.ts';
import { PciTestdev } from '../devices/pci-testdev.ts';
import { VirtioBlk, type BlockBackend } from '../virtio/blk.ts';
import { VirtioConsole } from '../virtio/console.ts';
import type { VirtioError } from '../virtio/errors.ts';
import type { GuestMemory } from '../virtio/guest-memory.ts';
import { VirtioPciFunction } from '../virtio/pci-transport.ts';
import { VirtioRng, type EntropySource } from '../virtio/rng.ts';
import { I440fxHostBridge } from './host-bridge.ts';
import { PciHost } from './host.ts';
import { PCI_ECAM_BUSES, PCI_ECAM_WINDOW, PCI_IO_WINDOW, PCI_MEM_WINDOW } from './pc-layout.ts';
import {
  PCI_CONFIG_ADDRESS_PORT,
  PCI_CONFIG_DATA_PORT,
  PCI_INTERRUPT_PIN_A,
  PCI_INTERRUPT_PIN_D,
} from './regs.ts';
import { ResetControl, type ResetKind } from './reset-control.ts';

export { PCI_ECAM_BUSES, PCI_ECAM_WINDOW, PCI_IO_WINDOW, PCI_MEM_WINDOW } from './pc-layout.ts';
export const PCI_INTX_IRQS = [10, 11] as const;
const CONFIG_PORT_LEN = 4;

export const SLOT_VIRTIO_CONSOLE = 1;
export const SLOT_VIRTIO_RNG = 2;
export const SLOT_PCI_TESTDEV = 3;
export const SLOT_VIRTIO_BLK = 4;

export function pciIntxIrq(slot: number, pin: number): number {
  return PCI_INTX_IRQS[(slot + pin - 1) % PCI_INTX_IRQS.length];
}

export interface PcPciOptions {
  readonly memory: GuestMemory;
  /** ISA IRQ line n as the machine wires it. */
  readonly isaIrq: (irq: number) => IrqLine;
  /** Bytes the guest writes to the virtio console. */
  readonly consoleOutput: (bytes: Uint8Array) => void;
  readonly entropy: EntropySource;
  readonly disk?: BlockBackend;
  /** The guest wrote the reset control register (0xCF9). */
  readonly onReset: (kind: ResetKind) => void;
  readonly onVirtioError?: (error: VirtioError) => void;
}

export class PcPciBus {
  readonly host: PciHost;
  readonly console: VirtioConsole;
  readonly routes: PciRoute[] = [];
  private readonly resetControl: ResetControl;

  constructor(o: PcPciOptions) {
    this.resetControl = new ResetControl(o.onReset);
    this.host = new PciHost({
      route: (slot, pin) => {
        const irq = pciIntxIrq(slot, pin);
        return { line: o.isaIrq(irq), irq };
      },
      resetControl: this.resetControl,
    });
    this.console = new VirtioConsole(o.consoleOutput);
    const virtio = { onError: o.onVirtioError };
    this.host.attach(0, 0, new I440fxHostBridge());
    this.host.attach(SLOT_VIRTIO_CONSOLE, 0, new VirtioPciFunction(this.console, o.memory, virtio));
    this.host.attach(SLOT_VIRTIO_RNG, 0, new VirtioPciFunction(new VirtioRng(o.entropy), o.memory, virtio));
    this.host.attach(SLOT_PCI_TESTDEV, 0, new PciTestdev());
    if (o.disk !== undefined)
      this.host.attach(SLOT_VIRTIO_BLK, 0, new VirtioPciFunction(new VirtioBlk(o.disk), o.memory, virtio));
    for (const slot of [SLOT_VIRTIO_CONSOLE, SLOT_VIRTIO_RNG, SLOT_VIRTIO_BLK]) {
      if (this.host.functionAt(slot, 0) === undefined) continue;
      for (let pin = PCI_INTERRUPT_PIN_A; pin <= PCI_INTERRUPT_PIN_D; pin++)
        this.routes.push({ slot, pin, gsi: pciIntxIrq(slot, pin) });
    }
    this.host.assignResources({ io: PCI_IO_WINDOW, mem: PCI_MEM_WINDOW });
  }

  /** Maps configuration mechanism #1, the ECAM and the two BAR windows on the machine's buses. */
  register(pio: PortIoBus, mmio: MmioBus): void {
    pio.register(PCI_CONFIG_ADDRESS_PORT, CONFIG_PORT_LEN, this.host.configAddressPort, 'pci-config-address');
    pio.register(PCI_CONFIG_DATA_PORT, CONFIG_PORT_LEN, this.host.configDataPort, 'pci-config-data');
    pio.register(
      PCI_IO_WINDOW.base,
      PCI_IO_WINDOW.limit - PCI_IO_WINDOW.base,
      this.host.ioWindow(PCI_IO_WINDOW.base),
      'pci-io',
    );
    mmio.register(
      PCI_ECAM_WINDOW.base,
      PCI_ECAM_WINDOW.limit - PCI_ECAM_WINDOW.base,
      this.host.ecamWindow(),
      'pci-ecam',
    );
    mmio.register(
      PCI_MEM_WINDOW.base,
      PCI_MEM_WINDOW.limit - PCI_MEM_WINDOW.base,
      this.host.mmioWindow(PCI_MEM_WINDOW.base),
      'pci-mem',
    );
  }

  /** What the DSDT and the MCFG table say of this bus: BAR window, _PRT rows, ECAM. */
  acpiDescription(): DsdtPlatform['pci'] {
    return {
      memWindow: PCI_MEM_WINDOW,
      routes: this.routes,
      ecam: { ...PCI_ECAM_WINDOW, startBus: PCI_ECAM_BUSES.first, endBus: PCI_ECAM_BUSES.last },
    };
  }

  /** Platform reset: RST# to every function, BARs assigned again, 0xCF9 back to 0. */
  reset(): void {
    this.resetControl.reset();
    this.host.reset();
  }
}
