// The common configuration structure of the virtio PCI transport (Virtio 1.2, 4.1.4.3):
//   0x00 le32 device_feature_select   0x14 u8   device_status        0x20 le64 queue_desc
//   0x04 le32 device_feature          0x15 u8   config_generation    0x28 le64 queue_driver
//   0x08 le32 driver_feature_select   0x16 le16 queue_select         0x30 le64 queue_device
//   0x0c le32 driver_feature          0x18 le16 queue_size           0x38 le16 queue_notify_data
//   0x10 le16 config_msix_vector      0x1a le16 queue_msix_vector    0x3a le16 queue_reset
//   0x12 le16 num_queues              0x1c le16 queue_enable
//                                     0x1e le16 queue_notify_off
// 4.1.3.1: the driver accesses each field with its natural width (64-bit fields as two
// 32-bit halves); any other access reads 0, is ignored on write and is counted.

import {
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VIRTIO_CONFIG_S_NEEDS_RESET,
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_VERSION_1,
  type VirtioDevice,
} from './device.ts';
import type { VirtioMetrics } from './errors.ts';
import type { Virtqueue } from './virtqueue.ts';

// Field offsets, named as Linux include/uapi/linux/virtio_pci.h.
export const VIRTIO_PCI_COMMON_DFSELECT = 0x00;
export const VIRTIO_PCI_COMMON_DF = 0x04;
export const VIRTIO_PCI_COMMON_GFSELECT = 0x08;
export const VIRTIO_PCI_COMMON_GF = 0x0c;
export const VIRTIO_PCI_COMMON_MSIX = 0x10;
export const VIRTIO_PCI_COMMON_NUMQ = 0x12;
export const VIRTIO_PCI_COMMON_STATUS = 0x14;
export const VIRTIO_PCI_COMMON_CFGGENERATION = 0x15;
export const VIRTIO_PCI_COMMON_Q_SELECT = 0x16;
export const VIRTIO_PCI_COMMON_Q_SIZE = 0x18;
export const VIRTIO_PCI_COMMON_Q_MSIX = 0x1a;
export const VIRTIO_PCI_COMMON_Q_ENABLE = 0x1c;
export const VIRTIO_PCI_COMMON_Q_NOFF = 0x1e;
export const VIRTIO_PCI_COMMON_Q_DESCLO = 0x20;
export const VIRTIO_PCI_COMMON_Q_DESCHI = 0x24;
export const VIRTIO_PCI_COMMON_Q_AVAILLO = 0x28;
export const VIRTIO_PCI_COMMON_Q_AVAILHI = 0x2c;
export const VIRTIO_PCI_COMMON_Q_USEDLO = 0x30;
export const VIRTIO_PCI_COMMON_Q_USEDHI = 0x34;
export const VIRTIO_PCI_COMMON_Q_NDATA = 0x38;
export const VIRTIO_PCI_COMMON_Q_RESET = 0x3a;
/** 4.1.5.1.2: the vector registers read NO_VECTOR when no MSI-X vector is mapped. */
export const VIRTIO_MSI_NO_VECTOR = 0xffff;

const FIELD_WIDTH = new Map<number, number>([
  [VIRTIO_PCI_COMMON_DFSELECT, 4],
  [VIRTIO_PCI_COMMON_DF, 4],
  [VIRTIO_PCI_COMMON_GFSELECT, 4],
  [VIRTIO_PCI_COMMON_GF, 4],
  [VIRTIO_PCI_COMMON_MSIX, 2],
  [VIRTIO_PCI_COMMON_NUMQ, 2],
  [VIRTIO_PCI_COMMON_STATUS, 1],
  [VIRTIO_PCI_COMMON_CFGGENERATION, 1],
  [VIRTIO_PCI_COMMON_Q_SELECT, 2],
  [VIRTIO_PCI_COMMON_Q_SIZE, 2],
  [VIRTIO_PCI_COMMON_Q_MSIX, 2],
  [VIRTIO_PCI_COMMON_Q_ENABLE, 2],
  [VIRTIO_PCI_COMMON_Q_NOFF, 2],
  [VIRTIO_PCI_COMMON_Q_DESCLO, 4],
  [VIRTIO_PCI_COMMON_Q_DESCHI, 4],
  [VIRTIO_PCI_COMMON_Q_AVAILLO, 4],
  [VIRTIO_PCI_COMMON_Q_AVAILHI, 4],
  [VIRTIO_PCI_COMMON_Q_USEDLO, 4],
  [VIRTIO_PCI_COMMON_Q_USEDHI, 4],
  [VIRTIO_PCI_COMMON_Q_NDATA, 2],
  [VIRTIO_PCI_COMMON_Q_RESET, 2],
]);

type QueueAddressField = 'descLo' | 'descHi' | 'driverLo' | 'driverHi' | 'deviceLo' | 'deviceHi';
const QUEUE_ADDRESS_FIELDS = new Map<number, QueueAddressField>([
  [VIRTIO_PCI_COMMON_Q_DESCLO, 'descLo'],
  [VIRTIO_PCI_COMMON_Q_DESCHI, 'descHi'],
  [VIRTIO_PCI_COMMON_Q_AVAILLO, 'driverLo'],
  [VIRTIO_PCI_COMMON_Q_AVAILHI, 'driverHi'],
  [VIRTIO_PCI_COMMON_Q_USEDLO, 'deviceLo'],
  [VIRTIO_PCI_COMMON_Q_USEDHI, 'deviceHi'],
]);

/** The transport bits every device offers on top of its own. */
const TRANSPORT_FEATURES = [VIRTIO_F_INDIRECT_DESC, VIRTIO_F_EVENT_IDX, VIRTIO_F_VERSION_1];

export interface CommonConfigHooks {
  /** The driver wrote 0 to device_status (2.4). */
  reset(): void;
  /** DRIVER_OK was set after a successful FEATURES_OK. */
  driverOk(): void;
  /** The driver left the device unusable (bad queue configuration): set DEVICE_NEEDS_RESET. */
  needsReset(): void;
}

function featureWords(bits: readonly number[]): [number, number] {
  const words: [number, number] = [0, 0];
  for (const bit of bits) {
    if (!Number.isInteger(bit) || bit < 0 || bit > 63) throw new RangeError(`virtio: feature bit ${bit}`);
    words[bit >> 5] = (words[bit >> 5] | (1 << (bit & 31))) >>> 0;
  }
  return words;
}

export class CommonConfig {
  status = 0;
  private generation = 0;
  private readonly offered: [number, number];
  private deviceFeatureSelect = 0;
  private driverFeatureSelect = 0;
  private driverFeatures: [number, number] = [0, 0];
  /** The driver wrote a 1 into a feature word beyond bit 63. */
  private driverFeaturesBeyond = false;
  private accepted: [number, number] = [0, 0];
  private queueSelect = 0;

  constructor(
    device: VirtioDevice,
    private readonly queues: readonly Virtqueue[],
    private readonly metrics: VirtioMetrics,
    private readonly hooks: CommonConfigHooks,
  ) {
    this.offered = featureWords([...device.features, ...TRANSPORT_FEATURES]);
  }

  /** Whether feature `bit` was negotiated (FEATURES_OK accepted it). */
  negotiated(bit: number): boolean {
    return ((this.accepted[bit >> 5] >>> (bit & 31)) & 1) === 1;
  }

  bumpGeneration(): void {
    this.generation = (this.generation + 1) & 0xff;
  }

  reset(): void {
    this.status = 0;
    this.deviceFeatureSelect = this.driverFeatureSelect = this.queueSelect = 0;
    this.driverFeatures = [0, 0];
    this.driverFeaturesBeyond = false;
    this.accepted = [0, 0];
  }

  read(offset: number, size: number): number {
    if (FIELD_WIDTH.get(offset) !== size) {
      this.metrics.record({ kind: 'common-cfg-bad-access', offset, size, write: false });
      return 0;
    }
    const q = this.queues[this.queueSelect] as Virtqueue | undefined;
    switch (offset) {
      case VIRTIO_PCI_COMMON_DFSELECT:
        return this.deviceFeatureSelect;
      case VIRTIO_PCI_COMMON_DF:
        return this.deviceFeatureSelect < 2 ? this.offered[this.deviceFeatureSelect] : 0;
      case VIRTIO_PCI_COMMON_GFSELECT:
        return this.driverFeatureSelect;
      case VIRTIO_PCI_COMMON_GF:
        return this.driverFeatureSelect < 2 ? this.driverFeatures[this.driverFeatureSelect] : 0;
      case VIRTIO_PCI_COMMON_MSIX:
      case VIRTIO_PCI_COMMON_Q_MSIX:
        return VIRTIO_MSI_NO_VECTOR;
      case VIRTIO_PCI_COMMON_NUMQ:
        return this.queues.length;
      case VIRTIO_PCI_COMMON_STATUS:
        return this.status;
      case VIRTIO_PCI_COMMON_CFGGENERATION:
        return this.generation;
      case VIRTIO_PCI_COMMON_Q_SELECT:
        return this.queueSelect;
      case VIRTIO_PCI_COMMON_Q_SIZE:
        return q?.size ?? 0; // 0: no such queue (4.1.4.3)
      case VIRTIO_PCI_COMMON_Q_ENABLE:
        return q?.enabled ? 1 : 0;
      case VIRTIO_PCI_COMMON_Q_NOFF:
        return q?.index ?? 0;
      case VIRTIO_PCI_COMMON_Q_NDATA:
      case VIRTIO_PCI_COMMON_Q_RESET:
        return 0; // VIRTIO_F_NOTIF_CONFIG_DATA and VIRTIO_F_RING_RESET are not offered
      default: {
        const field = QUEUE_ADDRESS_FIELDS.get(offset);
        return field !== undefined && q !== undefined ? q[field] : 0;
      }
    }
  }

  write(offset: number, size: number, value: number): void {
    const bad = () => this.metrics.record({ kind: 'common-cfg-bad-access', offset, size, write: true });
    if (FIELD_WIDTH.get(offset) !== size) return bad();
    const q = this.queues[this.queueSelect] as Virtqueue | undefined;
    switch (offset) {
      case VIRTIO_PCI_COMMON_DFSELECT:
        this.deviceFeatureSelect = value >>> 0;
        return;
      case VIRTIO_PCI_COMMON_GFSELECT:
        this.driverFeatureSelect = value >>> 0;
        return;
      case VIRTIO_PCI_COMMON_GF:
        return this.writeDriverFeatures(value >>> 0);
      case VIRTIO_PCI_COMMON_MSIX:
      case VIRTIO_PCI_COMMON_Q_MSIX:
        return; // no MSI-X capability: the vector stays NO_VECTOR, which the driver reads back
      case VIRTIO_PCI_COMMON_STATUS:
        return this.writeStatus(value & 0xff);
      case VIRTIO_PCI_COMMON_Q_SELECT:
        this.queueSelect = value;
        return;
      case VIRTIO_PCI_COMMON_Q_ENABLE:
        if (q === undefined) return bad();
        return this.writeQueueEnable(q, value);
      case VIRTIO_PCI_COMMON_Q_SIZE:
        if (q === undefined) return bad();
        if (q.enabled) return this.metrics.record({ kind: 'queue-config-while-enabled', queue: q.index });
        q.size = value;
        return;
      default: {
        const field = QUEUE_ADDRESS_FIELDS.get(offset);
        // Read-only fields (device_feature, num_queues, config_generation, queue_notify_off,
        // queue_notify_data) and queue_reset, which needs VIRTIO_F_RING_RESET, land here too.
        if (field === undefined || q === undefined) return bad();
        if (q.enabled) return this.metrics.record({ kind: 'queue-config-while-enabled', queue: q.index });
        q[field] = value >>> 0;
      }
    }
  }

  private writeDriverFeatures(value: number): void {
    if (this.status & VIRTIO_CONFIG_S_FEATURES_OK) {
      this.metrics.record({ kind: 'features-after-features-ok' });
      return;
    }
    if (this.driverFeatureSelect < 2) this.driverFeatures[this.driverFeatureSelect] = value;
    else if (value !== 0) this.driverFeaturesBeyond = true;
  }

  /** 2.1 / 3.1.1: the driver's status steps; 0 resets; FEATURES_OK is kept only if acceptable. */
  private writeStatus(value: number): void {
    if (value === 0) {
      this.hooks.reset();
      return;
    }
    const old = this.status;
    let next = (value & ~VIRTIO_CONFIG_S_NEEDS_RESET) | (old & VIRTIO_CONFIG_S_NEEDS_RESET);
    if (next & VIRTIO_CONFIG_S_FEATURES_OK && !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
      if (this.featuresAcceptable()) {
        this.accepted = [this.driverFeatures[0], this.driverFeatures[1]];
        const indirect = this.negotiated(VIRTIO_F_INDIRECT_DESC);
        const eventIdx = this.negotiated(VIRTIO_F_EVENT_IDX);
        for (const q of this.queues) {
          q.indirect = indirect;
          q.eventIdx = eventIdx;
        }
      } else {
        // 2.2.2: the device does not set FEATURES_OK; the driver sees it clear and gives up.
        this.metrics.record({
          kind: 'features-rejected',
          lo: this.driverFeatures[0],
          hi: this.driverFeatures[1],
        });
        next &= ~VIRTIO_CONFIG_S_FEATURES_OK;
      }
    }
    this.status = next;
    if (next & VIRTIO_CONFIG_S_DRIVER_OK && !(old & VIRTIO_CONFIG_S_DRIVER_OK)) {
      if (next & VIRTIO_CONFIG_S_FEATURES_OK) this.hooks.driverOk();
      else {
        this.metrics.record({
          kind: 'features-rejected',
          lo: this.driverFeatures[0],
          hi: this.driverFeatures[1],
        });
        this.hooks.needsReset();
      }
    }
  }

  /** Only offered bits, and VIRTIO_F_VERSION_1 (6.1: a modern device may refuse a driver without it). */
  private featuresAcceptable(): boolean {
    const [lo, hi] = this.driverFeatures;
    const version1 = (hi >>> (VIRTIO_F_VERSION_1 - 32)) & 1;
    return (
      !this.driverFeaturesBeyond &&
      (lo & ~this.offered[0]) === 0 &&
      (hi & ~this.offered[1]) === 0 &&
      version1 === 1
    );
  }

  private writeQueueEnable(q: Virtqueue, value: number): void {
    if (value !== 1) {
      // 4.1.4.3.2: "The driver MUST NOT write a 0 to queue_enable."
      this.metrics.record({ kind: 'queue-enable-zero', queue: q.index });
      return;
    }
    if (q.enabled) return;
    const error = q.enable();
    if (error !== undefined) {
      this.metrics.record(error);
      this.hooks.needsReset();
    }
  }
}
