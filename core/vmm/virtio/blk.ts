// virtio-blk (Virtio 1.2, 5.2 "Block Device") over a synchronous backing store: one
// request queue; read, write, flush and get-id. A request is
//   struct virtio_blk_req { le32 type; le32 reserved; le64 sector; u8 data[]; u8 status; }
// with the 16-byte header device-readable, the data readable (OUT) or writable (IN,
// GET_ID) and the status byte the last writable byte (5.2.6). Every request the chain
// walk accepts gets a status: OK, IOERR for a malformed or failed request, UNSUPP for an
// unknown type; only a chain without a writable byte for the status is returned with
// length 0.

import { PCI_CLASS_STORAGE_SCSI } from '../pci/regs.ts';
import type { DescriptorChain } from './descriptor-chain.ts';
import { serviceQueue, VIRTIO_ID_BLOCK, type VirtioDevice, type VirtioDeviceContext } from './device.ts';
import type { VirtioRequestError } from './errors.ts';
import { le64ToNumber } from './guest-memory.ts';

// Feature bits (5.2.3).
export const VIRTIO_BLK_F_SIZE_MAX = 1;
export const VIRTIO_BLK_F_SEG_MAX = 2;
export const VIRTIO_BLK_F_GEOMETRY = 4;
export const VIRTIO_BLK_F_RO = 5;
export const VIRTIO_BLK_F_BLK_SIZE = 6;
export const VIRTIO_BLK_F_FLUSH = 9;

// Request types and status values (5.2.6).
export const VIRTIO_BLK_T_IN = 0;
export const VIRTIO_BLK_T_OUT = 1;
export const VIRTIO_BLK_T_FLUSH = 4;
export const VIRTIO_BLK_T_GET_ID = 8;
export const VIRTIO_BLK_S_OK = 0;
export const VIRTIO_BLK_S_IOERR = 1;
export const VIRTIO_BLK_S_UNSUPP = 2;

/** Sector size of `sector` and `capacity`, whatever blk_size says (5.2.4, 5.2.6). */
export const VIRTIO_BLK_SECTOR_SIZE = 512;
/** GET_ID answers with up to 20 bytes, NUL-padded (Linux VIRTIO_BLK_ID_BYTES). */
export const VIRTIO_BLK_ID_BYTES = 20;
const REQUEST_HEADER_SIZE = 16;
/**
 * Largest data transfer served in one request. Linux splits I/O far below this (its
 * default max_sectors_kb is 1280); the bound keeps a hostile chain, which may name the
 * same guest pages many times over, from making the host allocate gigabytes.
 */
export const VIRTIO_BLK_MAX_REQUEST_BYTES = 64 * 1024 * 1024;

// struct virtio_blk_config (5.2.4) up to num_queues.
export const VIRTIO_BLK_CONFIG_CAPACITY = 0x00; // le64, in 512-byte sectors
export const VIRTIO_BLK_CONFIG_SIZE_MAX = 0x08;
export const VIRTIO_BLK_CONFIG_SEG_MAX = 0x0c;
export const VIRTIO_BLK_CONFIG_GEOMETRY = 0x10;
export const VIRTIO_BLK_CONFIG_BLK_SIZE = 0x14;
export const VIRTIO_BLK_CONFIG_NUM_QUEUES = 0x22;
const CONFIG_SIZE = 0x24;

export const VIRTIO_BLK_REQUESTQ = 0;
export const VIRTIO_BLK_QUEUE_SIZE = 256;

/** The disk image behind the device. Offsets and lengths are in bytes. */
export interface BlockBackend {
  readonly size: number;
  readonly readOnly?: boolean;
  /** `len` bytes at `offset`, or undefined on an I/O error. */
  read(offset: number, len: number): Uint8Array | undefined;
  /** False on an I/O error. */
  write(offset: number, bytes: Uint8Array): boolean;
  /** Makes completed writes durable; false on an I/O error. Absent: nothing to flush. */
  flush?(): boolean;
}

export interface VirtioBlkOptions {
  /** The serial number GET_ID returns (ASCII, at most 20 bytes used). */
  readonly serial?: string;
}

type Outcome = { status: number; written: number; error?: VirtioRequestError };

export class VirtioBlk implements VirtioDevice {
  readonly deviceType = VIRTIO_ID_BLOCK;
  readonly pciClass = PCI_CLASS_STORAGE_SCSI;
  readonly features: readonly number[];
  readonly queueSizes = [VIRTIO_BLK_QUEUE_SIZE];
  readonly configSize = CONFIG_SIZE;
  /** Whole sectors of the backing store; a partial last sector is not visible. */
  readonly capacity: number;
  private readonly configBytes = new Uint8Array(CONFIG_SIZE);
  private readonly id = new Uint8Array(VIRTIO_BLK_ID_BYTES);
  private ctx: VirtioDeviceContext | undefined;

  constructor(
    private readonly backend: BlockBackend,
    options: VirtioBlkOptions = {},
  ) {
    this.capacity = Math.floor(backend.size / VIRTIO_BLK_SECTOR_SIZE);
    const features = [VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_FLUSH];
    if (backend.readOnly) features.push(VIRTIO_BLK_F_RO);
    this.features = features;
    const dv = new DataView(this.configBytes.buffer);
    dv.setUint32(VIRTIO_BLK_CONFIG_CAPACITY, this.capacity % 2 ** 32, true);
    dv.setUint32(VIRTIO_BLK_CONFIG_CAPACITY + 4, Math.floor(this.capacity / 2 ** 32), true);
    // Two descriptors of every request carry the header and the status (QEMU's seg_max).
    dv.setUint32(VIRTIO_BLK_CONFIG_SEG_MAX, VIRTIO_BLK_QUEUE_SIZE - 2, true);
    dv.setUint32(VIRTIO_BLK_CONFIG_BLK_SIZE, VIRTIO_BLK_SECTOR_SIZE, true);
    dv.setUint16(VIRTIO_BLK_CONFIG_NUM_QUEUES, 1, true);
    const serial = options.serial ?? '';
    for (let i = 0; i < Math.min(serial.length, VIRTIO_BLK_ID_BYTES); i++)
      this.id[i] = serial.charCodeAt(i) & 0x7f;
  }

  readConfig(offset: number, size: number): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.configBytes[offset + i];
    return v;
  }

  writeConfig(): void {
    // Every field we expose is read-only (writeback needs VIRTIO_BLK_F_CONFIG_WCE).
  }

  activate(ctx: VirtioDeviceContext): void {
    this.ctx = ctx;
  }

  reset(): void {
    this.ctx = undefined;
  }

  notify(index: number): void {
    const ctx = this.ctx;
    if (ctx === undefined || index !== VIRTIO_BLK_REQUESTQ) return;
    serviceQueue(ctx, VIRTIO_BLK_REQUESTQ, (chain) => this.handle(ctx, chain));
  }

  /** Serves one request; returns the used length (bytes written, status included). */
  private handle(ctx: VirtioDeviceContext, chain: DescriptorChain): number {
    if (chain.writableLength < 1) {
      ctx.metrics.record({ kind: 'read-only-descriptor', need: 1, have: 0 });
      return 0;
    }
    const outcome = this.execute(ctx, chain);
    if (outcome.error !== undefined) ctx.metrics.record(outcome.error);
    if (!chain.write(ctx.memory, chain.writableLength - 1, Uint8Array.of(outcome.status))) {
      ctx.metrics.record({ kind: 'guest-memory-error', op: 'write' });
      return 0;
    }
    return outcome.written + 1;
  }

  private execute(ctx: VirtioDeviceContext, chain: DescriptorChain): Outcome {
    const ioerr = (error: VirtioRequestError): Outcome => ({ status: VIRTIO_BLK_S_IOERR, written: 0, error });
    const header = chain.read(ctx.memory, 0, REQUEST_HEADER_SIZE);
    if (header === undefined) {
      return ioerr({ kind: 'write-only-descriptor', need: REQUEST_HEADER_SIZE, have: chain.readableLength });
    }
    const dv = new DataView(header.buffer, header.byteOffset, REQUEST_HEADER_SIZE);
    const type = dv.getUint32(0, true);
    const sector = le64ToNumber(dv.getUint32(8, true), dv.getUint32(12, true));
    const readableData = chain.readableLength - REQUEST_HEADER_SIZE;
    const writableData = chain.writableLength - 1;
    switch (type) {
      case VIRTIO_BLK_T_IN: {
        if (readableData !== 0) return ioerr({ kind: 'unexpected-readable-data', len: readableData });
        const range = this.checkRange(sector, writableData);
        if (range !== undefined) return ioerr(range);
        const data = this.backend.read((sector as number) * VIRTIO_BLK_SECTOR_SIZE, writableData);
        if (data === undefined || data.length !== writableData)
          return ioerr({ kind: 'blk-backing-error', op: 'read' });
        if (!chain.write(ctx.memory, 0, data)) return ioerr({ kind: 'guest-memory-error', op: 'write' });
        return { status: VIRTIO_BLK_S_OK, written: writableData };
      }
      case VIRTIO_BLK_T_OUT: {
        if (writableData !== 0) return ioerr({ kind: 'unexpected-writable-data', len: writableData });
        // 5.2.6.2: with VIRTIO_BLK_F_RO offered, a write gets IOERR and writes nothing.
        if (this.backend.readOnly) return ioerr({ kind: 'blk-write-to-read-only' });
        const range = this.checkRange(sector, readableData);
        if (range !== undefined) return ioerr(range);
        const data = chain.read(ctx.memory, REQUEST_HEADER_SIZE, readableData);
        if (data === undefined) return ioerr({ kind: 'guest-memory-error', op: 'read' });
        if (!this.backend.write((sector as number) * VIRTIO_BLK_SECTOR_SIZE, data)) {
          return ioerr({ kind: 'blk-backing-error', op: 'write' });
        }
        return { status: VIRTIO_BLK_S_OK, written: 0 };
      }
      case VIRTIO_BLK_T_FLUSH:
        if (this.backend.flush !== undefined && !this.backend.flush())
          return ioerr({ kind: 'blk-backing-error', op: 'flush' });
        return { status: VIRTIO_BLK_S_OK, written: 0 };
      case VIRTIO_BLK_T_GET_ID: {
        const n = Math.min(writableData, VIRTIO_BLK_ID_BYTES);
        if (!chain.write(ctx.memory, 0, this.id.subarray(0, n)))
          return ioerr({ kind: 'guest-memory-error', op: 'write' });
        return { status: VIRTIO_BLK_S_OK, written: n };
      }
      default:
        // 5.2.6.2: unknown request types are answered VIRTIO_BLK_S_UNSUPP.
        return { status: VIRTIO_BLK_S_UNSUPP, written: 0, error: { kind: 'blk-unsupported-request', type } };
    }
  }

  /** Data must be whole sectors (5.2.6.1), of a size we serve, inside the capacity. */
  private checkRange(sector: number | undefined, bytes: number): VirtioRequestError | undefined {
    if (bytes % VIRTIO_BLK_SECTOR_SIZE !== 0) return { kind: 'blk-data-length', len: bytes };
    if (bytes > VIRTIO_BLK_MAX_REQUEST_BYTES) {
      return { kind: 'request-too-large', len: bytes, max: VIRTIO_BLK_MAX_REQUEST_BYTES };
    }
    const end = sector === undefined ? Infinity : sector + bytes / VIRTIO_BLK_SECTOR_SIZE;
    if (end > this.capacity) {
      return { kind: 'blk-sector-out-of-range', sector: sector ?? -1, bytes, capacity: this.capacity };
    }
    return undefined;
  }
}
