// Port 0x61, the PC/AT's "System Control Port B", as Intel's south bridges name it: the
// "NMI Status and Control Register" at I/O 61h (Intel 82371AB PIIX4 datasheet, and every
// ICH/PCH datasheet since as NMI_SC):
//   bit 7  SERR# NMI source status (RO)      bit 3  IOCHK# NMI enable (R/W)
//   bit 6  IOCHK# NMI source status (RO)     bit 2  PCI SERR# enable (R/W)
//   bit 5  timer counter 2 OUT status (RO)   bit 1  speaker data enable (R/W)
//   bit 4  refresh cycle toggle (RO)         bit 0  timer counter 2 enable = GATE2 (R/W)
// Writes to bits 7:4 are ignored. The speaker is OUT2 AND bit 1.
//
// No device here raises SERR# or IOCHK#, so bits 7:6 read 0. The refresh toggle flips
// once per DRAM refresh request (Intel's ICH datasheets keep it toggling at the rate
// refresh cycles would occur); on the AT those requests come from PIT counter 1, which
// the BIOS programs to a count of 18 (15.08 us). BIOS-less guests never program counter 1,
// so the toggle follows the PIT clock divided by 18, as VirtualBox's DevPit derives it from
// time (every 15.085 us); QEMU flips it on every read instead.

import type { AccessSize, PioDevice } from './io-device.ts';
import type { Clock } from '../clock.ts';
import { pitTicksAt } from './i8254.ts';

export const PORT61_IOBASE = 0x61;

export const NMI_SC_TIM_CNT2_EN = 0x01;
export const NMI_SC_SPKR_DAT_EN = 0x02;
export const NMI_SC_PCI_SERR_EN = 0x04;
export const NMI_SC_IOCHK_NMI_EN = 0x08;
export const NMI_SC_REF_TOGGLE = 0x10;
export const NMI_SC_TMR2_OUT_STS = 0x20;
const NMI_SC_WRITABLE = 0x0f;

/** PIT clocks between DRAM refresh requests: the AT BIOS's counter 1 count. */
const REFRESH_PIT_CLOCKS = 18;

/** The register at clock time `ns`, with counter 2's OUT `out2` and bits 3:0 `control`. */
export function port61Value(out2: boolean, ns: number, control: number): number {
  const refresh = Math.floor(pitTicksAt(ns) / REFRESH_PIT_CLOCKS) & 1;
  return (out2 ? NMI_SC_TMR2_OUT_STS : 0) | (refresh ? NMI_SC_REF_TOGGLE : 0) | (control & NMI_SC_WRITABLE);
}

/** What port 0x61 needs of the 8254: counter 2's GATE input and OUT pin. */
export interface Counter2Pins {
  setGate(counter: number, level: boolean): void;
  output(counter: number): boolean;
}

export interface Port61State {
  /** Bits 3:0 as last written. */
  control: number;
}

export type Port61StateError = { kind: 'bad-field'; field: 'state' | 'control'; value: unknown };

export type Port61FromState = { ok: true; port61: Port61 } | { ok: false; error: Port61StateError };

export class Port61 implements PioDevice {
  readonly maxAccessSize = 1;
  private control = 0; // power-on: gate 2 low, speaker off (PIIX4 default 00h)

  constructor(
    private readonly pit: Counter2Pins,
    private readonly clock: Clock,
  ) {}

  read(_offset: number, _size: AccessSize): number {
    return port61Value(this.pit.output(2), this.clock.nowNs(), this.control);
  }

  write(_offset: number, _size: AccessSize, value: number): void {
    this.control = value & NMI_SC_WRITABLE;
    this.pit.setGate(2, (this.control & NMI_SC_TIM_CNT2_EN) !== 0);
  }

  /** The speaker input: OUT2 gated by the speaker data enable bit. */
  speakerOn(): boolean {
    return (this.control & NMI_SC_SPKR_DAT_EN) !== 0 && this.pit.output(2);
  }

  /** Bits 3:0 as last written (GATE2, speaker, NMI enables). */
  get controlBits(): number {
    return this.control;
  }

  saveState(): Port61State {
    return { control: this.control };
  }

  /** Rebuild from a snapshot; the PIT's own snapshot carries GATE2, so it is not driven here. */
  static fromState(state: Port61State, pit: Counter2Pins, clock: Clock): Port61FromState {
    if (typeof state !== 'object' || state === null) {
      return { ok: false, error: { kind: 'bad-field', field: 'state', value: state } };
    }
    const v: unknown = state.control;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > NMI_SC_WRITABLE) {
      return { ok: false, error: { kind: 'bad-field', field: 'control', value: v } };
    }
    const port61 = new Port61(pit, clock);
    port61.control = v;
    return { ok: true, port61 };
  }
}
