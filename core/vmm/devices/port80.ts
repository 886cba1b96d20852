// The POST diagnostic port 0x80: firmware writes progress codes here for a POST card, and
// Linux (outb_p, io_delay) writes to it just to spend an I/O cycle.
//
// Reads: on PC/AT-derived chipsets 0x80 is the spare DMA page register (Intel ICH/PCH
// datasheets list 80h as a read/write "Reserved Page" register), so a read returns the last
// byte written. QEMU instead maps a sink (hw/i386/pc.c ioport80_read/ioport80_write) whose
// reads return all ones. We follow the chipset: no known guest depends on either, and
// reading the code back is handy for tests. Before any write, reads return 0xff.

import type { AccessSize, PioDevice } from '../bus.ts';

export const PORT80_IOBASE = 0x80;

export interface Port80State {
  lastCode: number | undefined;
}

export type Port80StateError = { kind: 'bad-field'; field: 'state' | 'lastCode'; value: unknown };

export type Port80FromState = { ok: true; port80: Port80 } | { ok: false; error: Port80StateError };

export class Port80 implements PioDevice {
  readonly maxAccessSize = 1; // an 8-bit register: `outw 0x80` also writes 0x81 (DMA page, IRQ-free)
  private code: number | undefined;

  constructor(private readonly onCode?: (code: number) => void) {}

  /** The last POST code written, or undefined if none yet. */
  get lastCode(): number | undefined {
    return this.code;
  }

  read(_offset: number, _size: AccessSize): number {
    return this.code ?? 0xff;
  }

  write(_offset: number, _size: AccessSize, value: number): void {
    this.code = value & 0xff;
    this.onCode?.(this.code);
  }

  saveState(): Port80State {
    return { lastCode: this.code };
  }

  static fromState(state: Port80State, onCode?: (code: number) => void): Port80FromState {
    if (typeof state !== 'object' || state === null) {
      return { ok: false, error: { kind: 'bad-field', field: 'state', value: state } };
    }
    const v: unknown = state.lastCode;
    if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xff)) {
      return { ok: false, error: { kind: 'bad-field', field: 'lastCode', value: v } };
    }
    const port80 = new Port80(onCode);
    port80.code = v;
    return { ok: true, port80 };
  }
}
