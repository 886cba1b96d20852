// Virtio over PCI, modern (non-transitional) only (Virtio 1.2, 4.1 "Virtio Over PCI Bus").
// One 32-bit memory BAR holds the four structures at QEMU's offsets, each announced by a
// vendor-specific capability (4.1.4):
//   0x0000 common configuration   (4.1.4.3)   0x2000 device-specific configuration (4.1.4.6)
//   0x1000 ISR status             (4.1.4.5)   0x3000 notifications, 4 bytes per queue (4.1.4.4)
// plus the PCI configuration access capability (4.1.4.9) that reaches the BAR through
// configuration space. Interrupts are INTx only (no MSI-X capability), so the ISR byte
// tells the driver why it was interrupted and reading it deasserts the pin (4.1.4.5.1).

import type { AccessSize, PioDevice } from '../bus.ts';
import { PciFunction } from '../pci/function.ts';
import { PCI_CAP_ID_VNDR, PCI_SUBDEVICE_ID_QEMU, PCI_VENDOR_ID_REDHAT_QUMRANET } from '../pci/regs.ts';
import { CommonConfig } from './common-config.ts';
import {
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_NEEDS_RESET,
  type VirtioDevice,
  type VirtioDeviceContext,
} from './device.ts';
import { VirtioMetrics, type VirtioError } from './errors.ts';
import type { GuestMemory } from './guest-memory.ts';
import { Virtqueue } from './virtqueue.ts';

/** 4.1.2: PCI Device ID = 0x1040 + virtio device ID for modern-only devices. */
export const VIRTIO_PCI_DEVICE_ID_BASE = 0x1040;
/** 4.1.2.1: "Non-transitional devices SHOULD have a PCI Revision ID of 1 or higher." */
export const VIRTIO_PCI_MODERN_REVISION = 1;

// cfg_type of struct virtio_pci_cap (4.1.4).
export const VIRTIO_PCI_CAP_COMMON_CFG = 1;
export const VIRTIO_PCI_CAP_NOTIFY_CFG = 2;
export const VIRTIO_PCI_CAP_ISR_CFG = 3;
export const VIRTIO_PCI_CAP_DEVICE_CFG = 4;
export const VIRTIO_PCI_CAP_PCI_CFG = 5;

// struct virtio_pci_cap field offsets (4.1.4): vndr, next, len, cfg_type, bar, id, pad[2], offset, length.
export const VIRTIO_PCI_CAP_LEN = 2;
export const VIRTIO_PCI_CAP_CFG_TYPE = 3;
export const VIRTIO_PCI_CAP_BAR = 4;
export const VIRTIO_PCI_CAP_ID = 5;
export const VIRTIO_PCI_CAP_OFFSET = 8;
export const VIRTIO_PCI_CAP_LENGTH = 12;
const VIRTIO_PCI_CAP_SIZE = 16;
/** struct virtio_pci_notify_cap: the cap plus le32 notify_off_multiplier. */
export const VIRTIO_PCI_NOTIFY_CAP_MULT = 16;
/** struct virtio_pci_cfg_cap: the cap plus u8 pci_cfg_data[4]. */
export const VIRTIO_PCI_CFG_CAP_DATA = 16;
const VIRTIO_PCI_EXT_CAP_SIZE = 20;

// ISR status bits (4.1.4.5).
export const VIRTIO_PCI_ISR_QUEUE = 0x1;
export const VIRTIO_PCI_ISR_CONFIG = 0x2;

/** The BAR the structures live in, and its layout (QEMU's virtio-pci region offsets). */
export const VIRTIO_PCI_BAR = 0;
export const VIRTIO_PCI_BAR_SIZE = 0x4000;
const REGION_SIZE = 0x1000;
const COMMON_OFFSET = 0x0000;
const ISR_OFFSET = 0x1000;
const DEVICE_OFFSET = 0x2000;
const NOTIFY_OFFSET = 0x3000;
/** Queue n's notification address is NOTIFY_OFFSET + n * this (4.1.4.4: an even power of 2). */
export const VIRTIO_PCI_NOTIFY_MULTIPLIER = 4;

export interface VirtioPciOptions {
  /** Told about each guest error as it is counted (for a warn-level log). */
  readonly onError?: (error: VirtioError) => void;
}

/** The BAR's region, bound to the function once its constructor has run. */
class DeferredRegion implements PioDevice {
  target: PioDevice | undefined;
  read(offset: number, size: AccessSize): number {
    return this.target?.read(offset, size) ?? 0;
  }
  write(offset: number, size: AccessSize, value: number): void {
    this.target?.write(offset, size, value);
  }
}

export class VirtioPciFunction extends PciFunction {
  readonly metrics: VirtioMetrics;
  private readonly queues: Virtqueue[];
  private readonly common: CommonConfig;
  private readonly cfgCap: number;
  private isr = 0;
  private active = false;

  constructor(
    private readonly device: VirtioDevice,
    private readonly memory: GuestMemory,
    options: VirtioPciOptions = {},
  ) {
    const region = new DeferredRegion();
    super(
      {
        vendorId: PCI_VENDOR_ID_REDHAT_QUMRANET,
        deviceId: VIRTIO_PCI_DEVICE_ID_BASE + device.deviceType,
        revision: VIRTIO_PCI_MODERN_REVISION,
        classCode: device.pciClass,
        subsystemVendorId: PCI_VENDOR_ID_REDHAT_QUMRANET,
        subsystemId: PCI_SUBDEVICE_ID_QEMU, // >= 0x40 (4.1.2.1)
        interruptPin: 1,
      },
      [{ kind: 'mem32', size: VIRTIO_PCI_BAR_SIZE, region }],
    );
    region.target = {
      read: (offset, size) => this.barRead(offset, size),
      write: (offset, size, value) => this.barWrite(offset, size, value),
    };
    this.metrics = new VirtioMetrics(options.onError);
    this.queues = device.queueSizes.map((size, i) => new Virtqueue(i, size, memory, this.metrics));
    this.common = new CommonConfig(device, this.queues, this.metrics, {
      reset: () => this.virtioReset(),
      driverOk: () => this.activate(),
      needsReset: () => this.requestReset(),
    });
    this.addStructureCap(VIRTIO_PCI_CAP_COMMON_CFG, COMMON_OFFSET, REGION_SIZE);
    this.addStructureCap(VIRTIO_PCI_CAP_ISR_CFG, ISR_OFFSET, REGION_SIZE);
    this.addStructureCap(VIRTIO_PCI_CAP_DEVICE_CFG, DEVICE_OFFSET, REGION_SIZE);
    const notify = this.addStructureCap(
      VIRTIO_PCI_CAP_NOTIFY_CFG,
      NOTIFY_OFFSET,
      REGION_SIZE,
      VIRTIO_PCI_EXT_CAP_SIZE,
    );
    this.config.set32(notify + VIRTIO_PCI_NOTIFY_CAP_MULT, VIRTIO_PCI_NOTIFY_MULTIPLIER);
    // 4.1.4.9: bar, offset, length and pci_cfg_data are driver-writable.
    this.cfgCap = this.addStructureCap(VIRTIO_PCI_CAP_PCI_CFG, 0, 0, VIRTIO_PCI_EXT_CAP_SIZE);
    this.config.setWritable(this.cfgCap + VIRTIO_PCI_CAP_BAR, 1, 0xff);
    this.config.setWritable(this.cfgCap + VIRTIO_PCI_CAP_OFFSET, 4, 0xffffffff);
    this.config.setWritable(this.cfgCap + VIRTIO_PCI_CAP_LENGTH, 4, 0xffffffff);
    this.config.setWritable(this.cfgCap + VIRTIO_PCI_CFG_CAP_DATA, 4, 0xffffffff);
  }

  /** The device status byte (for tests and the UI). */
  get status(): number {
    return this.common.status;
  }

  override readConfig(offset: number, size: number): number {
    if (this.touchesCfgData(offset, size)) this.cfgCapAccess(false);
    return super.readConfig(offset, size);
  }

  override writeConfig(offset: number, size: number, value: number): void {
    super.writeConfig(offset, size, value);
    if (this.touchesCfgData(offset, size)) this.cfgCapAccess(true);
  }

  /** PCI RST# resets the virtio device as well as the configuration header. */
  override reset(): void {
    super.reset();
    this.virtioReset();
  }

  private addStructureCap(
    type: number,
    offset: number,
    length: number,
    capLen = VIRTIO_PCI_CAP_SIZE,
  ): number {
    const at = this.config.addCapability(PCI_CAP_ID_VNDR, capLen);
    this.config.set8(at + VIRTIO_PCI_CAP_LEN, capLen);
    this.config.set8(at + VIRTIO_PCI_CAP_CFG_TYPE, type);
    this.config.set8(at + VIRTIO_PCI_CAP_BAR, VIRTIO_PCI_BAR);
    this.config.set8(at + VIRTIO_PCI_CAP_ID, 0);
    this.config.set32(at + VIRTIO_PCI_CAP_OFFSET, offset);
    this.config.set32(at + VIRTIO_PCI_CAP_LENGTH, length);
    return at;
  }

  private barRead(offset: number, size: AccessSize): number {
    if (offset < ISR_OFFSET) return this.common.read(offset - COMMON_OFFSET, size);
    if (offset < DEVICE_OFFSET) return offset === ISR_OFFSET ? this.readIsr() : 0;
    if (offset < NOTIFY_OFFSET) {
      const at = offset - DEVICE_OFFSET;
      return at + size <= this.device.configSize ? this.device.readConfig(at, size) : 0;
    }
    return 0; // the notification area is write-only
  }

  private barWrite(offset: number, size: AccessSize, value: number): void {
    if (offset < ISR_OFFSET) this.common.write(offset - COMMON_OFFSET, size, value);
    else if (offset < DEVICE_OFFSET)
      return; // ISR is read-only
    else if (offset < NOTIFY_OFFSET) {
      const at = offset - DEVICE_OFFSET;
      if (at + size <= this.device.configSize) this.device.writeConfig(at, size, value);
    } else this.notify(offset - NOTIFY_OFFSET);
  }

  /** 4.1.4.5.1: reading ISR returns it, clears it and deasserts INTx. */
  private readIsr(): number {
    const value = this.isr;
    this.isr = 0;
    this.setIntx(false);
    return value;
  }

  private raise(bits: number): void {
    this.isr |= bits;
    this.setIntx(true);
  }

  /** 4.1.4.4: a write at queue_notify_off * notify_off_multiplier notifies that queue. */
  private notify(offset: number): void {
    if (offset % VIRTIO_PCI_NOTIFY_MULTIPLIER !== 0) {
      this.metrics.record({ kind: 'notify-misaligned', offset });
      return;
    }
    const index = offset / VIRTIO_PCI_NOTIFY_MULTIPLIER;
    if (index >= this.queues.length) {
      this.metrics.record({ kind: 'notify-bad-queue', queue: index });
      return;
    }
    // Before DRIVER_OK the buffers stay in the ring; activation picks them up.
    if (!this.active || !this.queues[index].enabled) return;
    this.kick(index);
  }

  private kick(index: number): void {
    // PCI 3.0, 6.2.2 bit 2: a function may not master the bus (DMA) unless enabled.
    if (!this.busMaster) {
      this.metrics.record({ kind: 'dma-without-bus-master', queue: index });
      return;
    }
    this.device.notify(index);
    if (this.queues[index].needsReset) this.requestReset();
  }

  private activate(): void {
    const ctx: VirtioDeviceContext = {
      memory: this.memory,
      metrics: this.metrics,
      queue: (i) => this.queues[i],
      hasFeature: (bit) => this.common.negotiated(bit),
      signalUsed: (i) => {
        if (this.queues[i].needsInterrupt()) this.raise(VIRTIO_PCI_ISR_QUEUE);
      },
      configChanged: () => {
        this.common.bumpGeneration();
        if (this.common.status & VIRTIO_CONFIG_S_DRIVER_OK) this.raise(VIRTIO_PCI_ISR_CONFIG);
      },
    };
    this.active = true;
    this.device.activate(ctx);
    for (const q of this.queues) if (q.enabled) this.kick(q.index);
  }

  /** 2.1.2: set DEVICE_NEEDS_RESET; once DRIVER_OK is set, tell the driver by a config interrupt. */
  private requestReset(): void {
    if (this.common.status & VIRTIO_CONFIG_S_NEEDS_RESET) return;
    this.common.status |= VIRTIO_CONFIG_S_NEEDS_RESET;
    if (this.common.status & VIRTIO_CONFIG_S_DRIVER_OK) this.raise(VIRTIO_PCI_ISR_CONFIG);
  }

  /** 2.4 device reset: status 0, queues unconfigured, interrupt deasserted. */
  private virtioReset(): void {
    this.active = false;
    this.device.reset();
    for (const q of this.queues) q.reset();
    this.common.reset();
    this.isr = 0;
    this.setIntx(false);
  }

  private touchesCfgData(offset: number, size: number): boolean {
    const data = this.cfgCap + VIRTIO_PCI_CFG_CAP_DATA;
    return offset < data + 4 && data < offset + size;
  }

  /**
   * 4.1.4.9.1: an access to pci_cfg_data performs an access of cap.length bytes at
   * cap.offset in BAR cap.bar. Lengths other than 1, 2, 4, unaligned offsets and other
   * BARs are driver errors: counted, no BAR access.
   */
  private cfgCapAccess(write: boolean): void {
    const bar = this.config.get8(this.cfgCap + VIRTIO_PCI_CAP_BAR);
    const offset = this.config.get32(this.cfgCap + VIRTIO_PCI_CAP_OFFSET);
    const length = this.config.get32(this.cfgCap + VIRTIO_PCI_CAP_LENGTH);
    const data = this.cfgCap + VIRTIO_PCI_CFG_CAP_DATA;
    const sizeOk = length === 1 || length === 2 || length === 4;
    if (bar !== VIRTIO_PCI_BAR || !sizeOk || offset % length !== 0 || offset + length > VIRTIO_PCI_BAR_SIZE) {
      this.metrics.record({ kind: 'pci-cfg-bad-access', bar, offset, length });
      return;
    }
    const size = length as AccessSize;
    if (write) this.barWrite(offset, size, this.config.read(data, size));
    else {
      const value = this.barRead(offset, size);
      for (let i = 0; i < size; i++) this.config.set8(data + i, Math.floor(value / 2 ** (8 * i)) & 0xff);
    }
  }
}
