// QEMU's firmware configuration device, the traditional I/O interface only (QEMU
// docs/specs/fw_cfg.rst): a 16-bit selector at port 0x510 picks an item and resets the
// read offset; each byte read from the data port 0x511 returns the item's next byte, and
// 0 past its end or for an item that does not exist. Items are the ones QEMU's pc machine
// has that guests read without a BIOS, e.g. kvm-unit-tests' lib/x86/fwcfg.c:
//   0x0000 FW_CFG_SIGNATURE "QEMU"          0x0005 FW_CFG_NB_CPUS   u16
//   0x0001 FW_CFG_ID         u32 features   0x000f FW_CFG_MAX_CPUS  u16
//   0x0002 FW_CFG_UUID       16 bytes        0x0011 the RAM limit   u64 (kvm-unit-tests FW_CFG_MAX_RAM)
//   0x0003 FW_CFG_RAM_SIZE   u64             0x0019 FW_CFG_FILE_DIR  (big-endian count 0: no files)
//   0x0004 FW_CFG_NOGRAPHIC  u16             0x8002 FW_CFG_IRQ0_OVERRIDE u32 (x86: IRQ0 -> GSI2)
// Integers are little-endian except in the file directory (fw_cfg.rst, "File Directory").
// There is no DMA interface (FW_CFG_ID bit 1 clear) and writes to items are ignored.

import type { AccessSize, PioDevice } from '../bus.ts';

export const FW_CFG_IOBASE = 0x510;
/** Selector (16-bit) at +0, data (8-bit) at +1. */
export const FW_CFG_PORTS = 2;

export const FW_CFG_SIGNATURE = 0x00;
export const FW_CFG_ID = 0x01;
export const FW_CFG_UUID = 0x02;
export const FW_CFG_RAM_SIZE = 0x03;
export const FW_CFG_NOGRAPHIC = 0x04;
export const FW_CFG_NB_CPUS = 0x05;
export const FW_CFG_MAX_CPUS = 0x0f;
/** kvm-unit-tests' FW_CFG_MAX_RAM: the highest RAM address a test may use (0: no limit). */
export const FW_CFG_MAX_RAM = 0x11;
export const FW_CFG_FILE_DIR = 0x19;
export const FW_CFG_ARCH_LOCAL = 0x8000;
export const FW_CFG_IRQ0_OVERRIDE = FW_CFG_ARCH_LOCAL + 2;
/** Selector bit 14: the item is written rather than read (legacy; writes are ignored). */
export const FW_CFG_WRITE_CHANNEL = 0x4000;

/** FW_CFG_ID bit 0: the traditional (port) interface. */
export const FW_CFG_VERSION = 0x01;

export interface FwCfgConfig {
  readonly ramSize: number;
  readonly cpus: number;
  readonly maxCpus?: number;
}

function le(value: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
  return out;
}

export class FwCfg implements PioDevice {
  readonly maxAccessSize = 2;
  private readonly items = new Map<number, Uint8Array>();
  private selector = 0;
  private offset = 0;

  constructor(c: FwCfgConfig) {
    this.items.set(FW_CFG_SIGNATURE, Uint8Array.from([0x51, 0x45, 0x4d, 0x55])); // "QEMU"
    this.items.set(FW_CFG_ID, le(FW_CFG_VERSION, 4));
    this.items.set(FW_CFG_UUID, new Uint8Array(16));
    this.items.set(FW_CFG_RAM_SIZE, le(c.ramSize, 8));
    this.items.set(FW_CFG_NOGRAPHIC, le(1, 2));
    this.items.set(FW_CFG_NB_CPUS, le(c.cpus, 2));
    this.items.set(FW_CFG_MAX_CPUS, le(c.maxCpus ?? c.cpus, 2));
    this.items.set(FW_CFG_MAX_RAM, le(c.ramSize, 8));
    this.items.set(FW_CFG_FILE_DIR, new Uint8Array(4));
    this.items.set(FW_CFG_IRQ0_OVERRIDE, le(1, 4));
  }

  read(offset: number, size: AccessSize): number {
    if (offset === 0) return size === 1 ? this.selector & 0xff : this.selector;
    return this.nextByte();
  }

  write(offset: number, size: AccessSize, value: number): void {
    // fw_cfg.rst: the selector is a 16-bit register; a data write is ignored.
    if (offset === 0) {
      this.selector = size === 2 ? value : (this.selector & 0xff00) | value;
      this.offset = 0;
    }
  }

  private nextByte(): number {
    const item = this.items.get(this.selector & ~FW_CFG_WRITE_CHANNEL);
    if (item === undefined || this.offset >= item.length) return 0;
    return item[this.offset++];
  }
}
