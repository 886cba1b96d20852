// virtio-blk requests and statuses from Virtio 1.2, 5.2.6; malformed requests answered with
// IOERR/UNSUPP (or a zero-length completion when there is no status byte), never a throw.
import { describe, expect, it } from 'vitest';
import {
  VIRTIO_BLK_F_RO,
  VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_FLUSH,
  VIRTIO_BLK_T_GET_ID,
  VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT,
  VirtioBlk,
  type BlockBackend,
} from './blk.ts';
import { activate } from './testing/harness.ts';
import type { Buffer } from './testing/fake-guest.ts';

const HDR = 0x1000;
const DATA = 0x2000;
const STATUS = 0x3000;

class MemoryDisk implements BlockBackend {
  readonly bytes: Uint8Array;
  flushes = 0;
  failing = false;
  constructor(
    size: number,
    readonly readOnly = false,
  ) {
    this.bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) this.bytes[i] = (i * 7) & 0xff;
  }
  get size() {
    return this.bytes.length;
  }
  read(offset: number, len: number) {
    return this.failing ? undefined : this.bytes.slice(offset, offset + len);
  }
  write(offset: number, data: Uint8Array) {
    if (this.failing) return false;
    this.bytes.set(data, offset);
    return true;
  }
  flush() {
    this.flushes++;
    return !this.failing;
  }
}

function setup(disk = new MemoryDisk(8 * 512)) {
  const blk = new VirtioBlk(disk, { serial: 'wasmkvm-disk0' });
  const h = activate(blk);
  const driver = h.drivers[0];
  const header = (type: number, sector: number) => {
    h.mem.view.setUint32(HDR, type, true);
    h.mem.view.setUint32(HDR + 4, 0, true);
    h.mem.view.setUint32(HDR + 8, sector, true);
    h.mem.view.setUint32(HDR + 12, 0, true);
  };
  const submit = (buffers: Buffer[]) => {
    h.mem.bytes[STATUS] = 0xee;
    const head = driver.add(buffers);
    blk.notify(0);
    return { head, used: driver.used(driver.usedIdx() - 1), status: h.mem.bytes[STATUS] };
  };
  return { blk, disk, h, header, submit };
}

const hdr: Buffer = { addr: HDR, len: 16 };
const status: Buffer = { addr: STATUS, len: 1, write: true };

describe('virtio-blk configuration (5.2.4)', () => {
  it('reports capacity in 512-byte sectors, seg_max, blk_size; RO only for a read-only store', () => {
    const blk = new VirtioBlk(new MemoryDisk(8 * 512 + 100));
    expect(blk.readConfig(0, 4)).toBe(8); // capacity, low dword: the partial sector is not visible
    expect(blk.readConfig(4, 4)).toBe(0);
    expect(blk.readConfig(0x0c, 4)).toBe(254);
    expect(blk.readConfig(0x14, 4)).toBe(512);
    expect(blk.features).not.toContain(VIRTIO_BLK_F_RO);
    expect(new VirtioBlk(new MemoryDisk(512, true)).features).toContain(VIRTIO_BLK_F_RO);
  });
});

describe('virtio-blk requests (5.2.6)', () => {
  it('IN reads sectors into the writable buffer and reports data + status bytes used', () => {
    const { header, submit, h, disk } = setup();
    header(VIRTIO_BLK_T_IN, 2);
    const r = submit([hdr, { addr: DATA, len: 1024, write: true }, status]);
    expect(r.status).toBe(VIRTIO_BLK_S_OK);
    expect(r.used).toEqual({ id: r.head, len: 1025 });
    expect(h.mem.bytes.subarray(DATA, DATA + 1024)).toEqual(disk.bytes.subarray(1024, 2048));
    expect(h.interrupts[0]).toBe(1);
  });

  it('OUT writes the readable data to the store; descriptor boundaries do not matter (2.7.4)', () => {
    const { header, submit, h, disk } = setup();
    header(VIRTIO_BLK_T_OUT, 1);
    h.mem.bytes.fill(0xab, DATA, DATA + 512);
    // header and data split across descriptors at odd places
    const r = submit([
      { addr: HDR, len: 10 },
      { addr: HDR + 10, len: 6 },
      { addr: DATA, len: 100 },
      { addr: DATA + 100, len: 412 },
      status,
    ]);
    expect(r.status).toBe(VIRTIO_BLK_S_OK);
    expect(r.used.len).toBe(1);
    expect(disk.bytes.subarray(512, 1024).every((b) => b === 0xab)).toBe(true);
    expect(disk.bytes[1024]).toBe((1024 * 7) & 0xff);
  });

  it('FLUSH flushes the store', () => {
    const { header, submit, disk } = setup();
    header(VIRTIO_BLK_T_FLUSH, 0);
    expect(submit([hdr, status]).status).toBe(VIRTIO_BLK_S_OK);
    expect(disk.flushes).toBe(1);
  });

  it('GET_ID returns the serial NUL-padded to 20 bytes', () => {
    const { header, submit, h } = setup();
    header(VIRTIO_BLK_T_GET_ID, 0);
    h.mem.bytes.fill(0xff, DATA, DATA + 20);
    const r = submit([hdr, { addr: DATA, len: 20, write: true }, status]);
    expect(r.status).toBe(VIRTIO_BLK_S_OK);
    expect(r.used.len).toBe(21);
    const id = new TextDecoder().decode(h.mem.bytes.subarray(DATA, DATA + 20));
    expect(id).toBe('wasmkvm-disk0\0\0\0\0\0\0\0');
  });

  it('an unknown type is VIRTIO_BLK_S_UNSUPP', () => {
    const { header, submit, h } = setup();
    header(11, 0); // VIRTIO_BLK_T_DISCARD, not offered
    expect(submit([hdr, status]).status).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(h.metrics.count('blk-unsupported-request')).toBe(1);
  });
});

describe('virtio-blk malformed requests', () => {
  it('a sector range past the capacity is IOERR and reads nothing', () => {
    const { header, submit, h } = setup();
    header(VIRTIO_BLK_T_IN, 7);
    h.mem.bytes.fill(0x55, DATA, DATA + 1024);
    const r = submit([hdr, { addr: DATA, len: 1024, write: true }, status]);
    expect(r.status).toBe(VIRTIO_BLK_S_IOERR);
    expect(r.used.len).toBe(1);
    expect(h.mem.bytes[DATA]).toBe(0x55);
    expect(h.metrics.last).toEqual({ kind: 'blk-sector-out-of-range', sector: 7, bytes: 1024, capacity: 8 });
  });

  it('data that is not a whole number of sectors is IOERR', () => {
    const { header, submit, h } = setup();
    header(VIRTIO_BLK_T_IN, 0);
    expect(submit([hdr, { addr: DATA, len: 100, write: true }, status]).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(h.metrics.count('blk-data-length')).toBe(1);
  });

  it('a header shorter than 16 readable bytes (a write-only descriptor where one must be readable) is IOERR', () => {
    const { submit, h } = setup();
    const r = submit([{ addr: HDR, len: 16, write: true }, { addr: DATA, len: 512, write: true }, status]);
    expect(r.status).toBe(VIRTIO_BLK_S_IOERR);
    expect(h.metrics.last).toEqual({ kind: 'write-only-descriptor', need: 16, have: 0 });
  });

  it('more than 64 MiB of data in one request is IOERR, and the host allocates nothing for it', () => {
    const { header, submit, h } = setup();
    header(VIRTIO_BLK_T_IN, 0);
    // 147 descriptors naming the same 448 KiB of guest RAM: 66 MiB of "data"
    const data = Array.from({ length: 147 }, () => ({ addr: 0x4000, len: 0x70000, write: true }));
    expect(submit([hdr, ...data, status]).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(h.metrics.last).toMatchObject({ kind: 'request-too-large', len: 147 * 0x70000 });
  });

  it('a chain without a writable status byte is completed with length 0', () => {
    const { header, submit, h } = setup();
    header(VIRTIO_BLK_T_OUT, 0);
    const r = submit([hdr, { addr: DATA, len: 512 }]);
    expect(r.used).toEqual({ id: r.head, len: 0 });
    expect(h.metrics.count('read-only-descriptor')).toBe(1);
  });

  it('IN with readable data after the header, OUT with writable data before the status: IOERR', () => {
    const { header, submit, h } = setup();
    header(VIRTIO_BLK_T_IN, 0);
    expect(submit([hdr, { addr: DATA, len: 512 }, status]).status).toBe(VIRTIO_BLK_S_IOERR);
    header(VIRTIO_BLK_T_OUT, 0);
    expect(submit([hdr, { addr: DATA, len: 512, write: true }, status]).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(h.metrics.snapshot()).toMatchObject({
      'unexpected-readable-data': 1,
      'unexpected-writable-data': 1,
    });
  });

  it('OUT to a read-only disk is IOERR and writes nothing (5.2.6.2)', () => {
    const disk = new MemoryDisk(8 * 512, true);
    const { header, submit } = setup(disk);
    const before = disk.bytes.slice();
    header(VIRTIO_BLK_T_OUT, 0);
    expect(submit([hdr, { addr: DATA, len: 512 }, status]).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(disk.bytes).toEqual(before);
  });

  it('a failing store is IOERR', () => {
    const { header, submit, disk, h } = setup();
    disk.failing = true;
    header(VIRTIO_BLK_T_IN, 0);
    expect(submit([hdr, { addr: DATA, len: 512, write: true }, status]).status).toBe(VIRTIO_BLK_S_IOERR);
    header(VIRTIO_BLK_T_FLUSH, 0);
    expect(submit([hdr, status]).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(h.metrics.count('blk-backing-error')).toBe(2);
  });

  it('a data buffer outside guest RAM fails the chain walk: zero-length completion, store untouched', () => {
    const { header, submit, h } = setup();
    header(VIRTIO_BLK_T_IN, 0);
    const r = submit([hdr, { addr: 0x7fffffff, len: 512, write: true }, status]);
    expect(r.used).toEqual({ id: r.head, len: 0 });
    expect(r.status).toBe(0xee);
    expect(h.metrics.count('descriptor-out-of-memory')).toBe(1);
  });
});
