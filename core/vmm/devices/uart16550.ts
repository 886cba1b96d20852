// 16550A UART, after the National/TI "PC16550D Universal Asynchronous Receiver/Transmitter
// with FIFOs" datasheet (SNLS378). Shaped like rust-vmm vm-superio `serial.rs`: registers are
// fields, one switch per direction, the IRQ line and output sink are injected.
//
// The virtual line is infinitely fast and has no clock:
//  - A byte written to THR leaves at once, so THRE and TEMT read 1 again immediately and
//    the THRE interrupt re-arms after every byte (as QEMU's serial.c does without a
//    backend timer). The transmitter FIFO is therefore always empty.
//  - The datasheet's character-timeout indication (IIR bits 3:0 = 0xC) flushes bytes stuck below
//    the FIFO trigger level after four idle character times. We run no timer: with no
//    clock those four character times have passed as soon as host input stops, so when
//    the FIFO holds fewer bytes than the trigger level IIR reports the timeout at once.
//    While the host still has input pending the FIFO is full (see below), so it is at or
//    above every trigger level and IIR reports received-data-available as the datasheet says.
//  - Host input (`enqueueInput`) waits in an unbounded host-side queue and moves into the
//    receiver FIFO (16 bytes, or the 1-byte RBR in 16450 mode) whenever there is room, so
//    typed input is never lost to an overrun. Overruns (LSR.OE) come only from loopback,
//    where the transmitter feeds the receiver directly as on the chip.

import type { AccessSize, IrqLine, PioDevice } from '../bus.ts';

// Register offsets ("Register Summary"; DLAB = LCR bit 7 selects DLL/DLM at 0 and 1).
const RBR_THR_DLL = 0;
const IER_DLM = 1;
const IIR_FCR = 2;
const LCR = 3;
const MCR = 4;
const LSR = 5;
const MSR = 6;
const SCR = 7;

// Bit names follow Linux include/uapi/linux/serial_reg.h.
const UART_IER_RDI = 0x01; // received data available (and character timeout)
const UART_IER_THRI = 0x02;
const UART_IER_RLSI = 0x04;
const UART_IER_MSI = 0x08;
const UART_IER_VALID = 0x0f; // bits 7:4 are always 0 ("Interrupt Enable Register")

// "Interrupt Identification Register", Table "Interrupt Control Functions": priority order.
const UART_IIR_NO_INT = 0x01;
const UART_IIR_MSI = 0x00; // 4th: modem status
const UART_IIR_THRI = 0x02; // 3rd: THR empty
const UART_IIR_RDI = 0x04; // 2nd: received data available
const UART_IIR_RLSI = 0x06; // 1st: receiver line status
const UART_IIR_TIMEOUT = 0x0c; // 2nd: character timeout (FIFO mode only)
const UART_IIR_FIFO_ENABLED = 0xc0; // bits 7:6 set when FCR bit 0 = 1

// "FIFO Control Register": bits 1 and 2 are self-clearing; bits 5:4 are reserved.
const UART_FCR_ENABLE_FIFO = 0x01;
const UART_FCR_CLEAR_RCVR = 0x02;
const UART_FCR_DMA_SELECT = 0x08;
const UART_FCR_TRIGGER_MASK = 0xc0;
const UART_FCR_STORED = UART_FCR_ENABLE_FIFO | UART_FCR_DMA_SELECT | UART_FCR_TRIGGER_MASK;
const TRIGGER_LEVELS = [1, 4, 8, 14] as const; // FCR bits 7:6 = 00, 01, 10, 11

const UART_LCR_DLAB = 0x80;

const UART_MCR_DTR = 0x01;
const UART_MCR_RTS = 0x02;
const UART_MCR_OUT1 = 0x04;
const UART_MCR_OUT2 = 0x08;
const UART_MCR_LOOP = 0x10;
const UART_MCR_VALID = 0x1f; // bits 7:5 are always 0

const UART_LSR_DR = 0x01;
const UART_LSR_OE = 0x02;
const UART_LSR_ERRORS = 0x9e; // OE, PE, FE, BI and "error in RCVR FIFO": cleared by an LSR read
const UART_LSR_BRK_ERROR_BITS = 0x1e; // OE, PE, FE, BI: the receiver-line-status sources
const UART_LSR_THRE = 0x20;
const UART_LSR_TEMT = 0x40;

const UART_MSR_DCTS = 0x01;
const UART_MSR_DDSR = 0x02;
const UART_MSR_TERI = 0x04;
const UART_MSR_DDCD = 0x08;
const UART_MSR_DELTAS = 0x0f;
const UART_MSR_CTS = 0x10;
const UART_MSR_DSR = 0x20;
const UART_MSR_RI = 0x40;
const UART_MSR_DCD = 0x80;

/**
 * What the far end of our line drives on CTS, DSR, DCD and RI outside loopback: a
 * connected, ready modem that is not ringing (QEMU and vm-superio use the same 0xB0).
 */
const HOST_MODEM_INPUTS = UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;

const FIFO_SIZE = 16;

/** The PC's first serial port: ports 0x3f8-0x3ff, ISA IRQ 4. */
export const COM1 = { iobase: 0x3f8, length: 8, irq: 4 } as const;

/** Snapshot of a `Uart16550`: plain data, safe for structured clone (STYLE.md rule 2). */
export interface Uart16550State {
  dll: number;
  dlm: number;
  ier: number;
  /** The persistent FCR bits (0, 3, 7:6); FCR itself is write-only. */
  fcr: number;
  lcr: number;
  mcr: number;
  lsr: number;
  msr: number;
  scr: number;
  /** The THRE interrupt latch: set when THR empties, cleared by an IIR read naming it or a THR write. */
  thrEmptyPending: boolean;
  /** Receiver FIFO (in 16450 mode: RBR), oldest byte first. */
  rxFifo: number[];
  /** Host input not yet moved into the receiver. */
  pendingInput: number[];
}

export type Uart16550StateError =
  | { kind: 'bad-register'; field: string; value: unknown }
  | { kind: 'bad-byte'; field: 'rxFifo' | 'pendingInput'; index: number; value: unknown }
  | { kind: 'fifo-too-long'; length: number; capacity: number }
  | { kind: 'inconsistent'; field: 'lsr' | 'msr'; value: number; expected: number };

export type Uart16550FromState = { ok: true; uart: Uart16550 } | { ok: false; error: Uart16550StateError };

function isByte(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xff;
}

/** CTS, DSR, RI, DCD as the receiver sees them; in loopback they are the MCR outputs ("Modem Control Register", bit 4). */
function modemInputs(mcr: number): number {
  if ((mcr & UART_MCR_LOOP) === 0) return HOST_MODEM_INPUTS;
  return (
    (mcr & UART_MCR_RTS ? UART_MSR_CTS : 0) |
    (mcr & UART_MCR_DTR ? UART_MSR_DSR : 0) |
    (mcr & UART_MCR_OUT1 ? UART_MSR_RI : 0) |
    (mcr & UART_MCR_OUT2 ? UART_MSR_DCD : 0)
  );
}

export class Uart16550 implements PioDevice {
  readonly maxAccessSize = 1; // 8-bit registers: the bus splits wider accesses

  // Reset values: datasheet "UART Reset Configuration" (IER, FCR, LCR, MCR = 0, IIR = 0x01,
  // LSR = 0x60, MSR bits 3:0 = 0 and 7:4 = the inputs). DLL/DLM/SCR are left alone by a
  // master reset; we start them at 0.
  private dll = 0;
  private dlm = 0;
  private ier = 0;
  private fcr = 0;
  private lcr = 0;
  private mcr = 0;
  private lsr = UART_LSR_THRE | UART_LSR_TEMT;
  private msr = HOST_MODEM_INPUTS;
  private scr = 0;
  private thrEmptyPending = false;
  private rxFifo: number[] = [];
  private readonly input = new ByteQueue();
  private irqLevel = false;

  constructor(
    private readonly irq: IrqLine,
    private readonly output: (byte: number) => void,
  ) {}

  /** Host-side input (keyboard, pipe). Never lost: see the header comment. */
  enqueueInput(bytes: Uint8Array | readonly number[]): void {
    for (const b of bytes) this.input.push(b & 0xff);
    this.refill();
    this.update();
  }

  /** Bytes waiting on the host side; a host may apply back-pressure on this. */
  get pendingInput(): number {
    return this.input.length;
  }

  read(offset: number, _size: AccessSize): number {
    const dlab = (this.lcr & UART_LCR_DLAB) !== 0;
    switch (offset) {
      case RBR_THR_DLL:
        return dlab ? this.dll : this.readRbr();
      case IER_DLM:
        return dlab ? this.dlm : this.ier;
      case IIR_FCR:
        return this.readIir();
      case LCR:
        return this.lcr;
      case MCR:
        return this.mcr;
      case LSR: {
        // "Line Status Register": OE, PE, FE, BI (and bit 7) are reset by reading LSR.
        const value = this.lsr;
        this.lsr &= ~UART_LSR_ERRORS;
        this.update();
        return value;
      }
      case MSR: {
        // "Modem Status Register": bits 3:0 are reset by reading MSR.
        const value = this.msr;
        this.msr &= ~UART_MSR_DELTAS;
        this.update();
        return value;
      }
      case SCR:
        return this.scr;
      default:
        return 0xff; // the bus never passes offsets past 7; all ones as for any absent register
    }
  }

  write(offset: number, _size: AccessSize, value: number): void {
    const v = value & 0xff;
    const dlab = (this.lcr & UART_LCR_DLAB) !== 0;
    switch (offset) {
      case RBR_THR_DLL:
        if (dlab) this.dll = v;
        else this.writeThr(v);
        break;
      case IER_DLM:
        if (dlab) this.dlm = v;
        else this.writeIer(v & UART_IER_VALID);
        break;
      case IIR_FCR:
        this.writeFcr(v);
        break;
      case LCR:
        this.lcr = v;
        break;
      case MCR:
        this.writeMcr(v & UART_MCR_VALID);
        break;
      case SCR:
        this.scr = v;
        break;
      default:
        // LSR and MSR are read-only ("LSR is intended for read operations only"; writes are
        // for factory test): dropped, as QEMU and vm-superio drop them.
        break;
    }
    this.update();
  }

  private readRbr(): number {
    // Reading an empty RBR returns 0 (as vm-superio does; the datasheet leaves it undefined).
    const byte = this.rxFifo.shift() ?? 0;
    this.refill();
    this.update();
    return byte;
  }

  private readIir(): number {
    const id = this.interruptId();
    // "THRE ... reset by reading the IIR (if source of interrupt)".
    if (id === UART_IIR_THRI) {
      this.thrEmptyPending = false;
      this.update();
    }
    return id | (this.fcr & UART_FCR_ENABLE_FIFO ? UART_IIR_FIFO_ENABLED : 0);
  }

  private writeThr(byte: number): void {
    this.thrEmptyPending = false; // "... or writing into the THR"
    if (this.mcr & UART_MCR_LOOP) this.receive(byte);
    else this.output(byte);
    this.thrEmptyPending = true; // the byte has left: THR is empty again
  }

  private writeIer(ier: number): void {
    // Enabling THRI while THR is empty raises the THRE interrupt even if an earlier IIR read
    // cleared it. Not in the datasheet, but Windows relies on it and Linux's startup probe
    // (UART_BUG_TXEN) checks for it. QEMU serial.c and Bochs resample on the rising edge of
    // IER bit 1; so do we.
    if ((ier & ~this.ier & UART_IER_THRI) !== 0) this.thrEmptyPending = true;
    this.ier = ier;
  }

  private writeFcr(v: number): void {
    // "FCR0 must be 1 when other FCR bits are written to or they will not be programmed";
    // changing FCR0 clears both FIFOs.
    if ((v & UART_FCR_ENABLE_FIFO) === 0) {
      if (this.fcr & UART_FCR_ENABLE_FIFO) this.clearRcvr();
      this.fcr = 0;
    } else {
      const toggled = (this.fcr & UART_FCR_ENABLE_FIFO) === 0;
      this.fcr = v & UART_FCR_STORED;
      if (toggled || v & UART_FCR_CLEAR_RCVR) this.clearRcvr();
      // CLEAR_XMIT: the transmitter FIFO is always empty here.
    }
    this.refill();
  }

  private clearRcvr(): void {
    // The shift register and LSR error bits are untouched; only the FIFO and DR.
    this.rxFifo = [];
    this.lsr &= ~UART_LSR_DR;
  }

  private writeMcr(mcr: number): void {
    const leavingLoop = (this.mcr & UART_MCR_LOOP) !== 0 && (mcr & UART_MCR_LOOP) === 0;
    this.mcr = mcr;
    this.setModemInputs(modemInputs(mcr));
    if (leavingLoop) this.refill();
  }

  /** Latch the delta bits of "Modem Status Register" for every input that changed. */
  private setModemInputs(inputs: number): void {
    const old = this.msr;
    const changed = (old ^ inputs) & 0xf0;
    let delta = 0;
    if (changed & UART_MSR_CTS) delta |= UART_MSR_DCTS;
    if (changed & UART_MSR_DSR) delta |= UART_MSR_DDSR;
    if (changed & UART_MSR_DCD) delta |= UART_MSR_DDCD;
    // TERI: "the RI input has changed from a low to a high state"; the pin is active low,
    // so that is MSR.RI going from 1 to 0.
    if (old & UART_MSR_RI && !(inputs & UART_MSR_RI)) delta |= UART_MSR_TERI;
    this.msr = inputs | (old & UART_MSR_DELTAS) | delta;
  }

  private get capacity(): number {
    return this.fcr & UART_FCR_ENABLE_FIFO ? FIFO_SIZE : 1;
  }

  /** A character arrives from the line (only the loopback path can overrun). */
  private receive(byte: number): void {
    if (this.rxFifo.length < this.capacity) {
      this.rxFifo.push(byte);
    } else {
      // "Line Status Register", OE: in 16450 mode the new character overwrites RBR; in FIFO
      // mode it is lost in the shift register and the FIFO keeps its contents.
      if (this.capacity === 1) this.rxFifo[0] = byte;
      this.lsr |= UART_LSR_OE;
    }
    this.lsr |= UART_LSR_DR;
  }

  /** Move host input into the receiver while there is room (the SIN pin is cut in loopback). */
  private refill(): void {
    if ((this.mcr & UART_MCR_LOOP) === 0) {
      while (this.rxFifo.length < this.capacity && this.input.length > 0) {
        this.rxFifo.push(this.input.shift());
      }
    }
    if (this.rxFifo.length > 0) this.lsr |= UART_LSR_DR;
    else this.lsr &= ~UART_LSR_DR;
  }

  /** The highest-priority pending source, as IIR bits 3:0. */
  private interruptId(): number {
    if (this.ier & UART_IER_RLSI && this.lsr & UART_LSR_BRK_ERROR_BITS) return UART_IIR_RLSI;
    if (this.ier & UART_IER_RDI && this.rxFifo.length > 0) {
      if ((this.fcr & UART_FCR_ENABLE_FIFO) === 0) return UART_IIR_RDI;
      const trigger = TRIGGER_LEVELS[this.fcr >> 6];
      return this.rxFifo.length >= trigger ? UART_IIR_RDI : UART_IIR_TIMEOUT;
    }
    if (this.ier & UART_IER_THRI && this.thrEmptyPending) return UART_IIR_THRI;
    if (this.ier & UART_IER_MSI && this.msr & UART_MSR_DELTAS) return UART_IIR_MSI;
    return UART_IIR_NO_INT;
  }

  /**
   * Drive the IRQ line. On the PC the UART's INTR pin reaches the PIC through a buffer
   * enabled by the OUT2 pin; in loopback the datasheet forces the OUT pins inactive, so
   * the line is released then too (QEMU ignores OUT2; real boards and Linux rely on it).
   */
  private update(): void {
    const out2 = (this.mcr & (UART_MCR_OUT2 | UART_MCR_LOOP)) === UART_MCR_OUT2;
    const level = out2 && this.interruptId() !== UART_IIR_NO_INT;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.setLevel(level);
    }
  }

  saveState(): Uart16550State {
    return {
      dll: this.dll,
      dlm: this.dlm,
      ier: this.ier,
      fcr: this.fcr,
      lcr: this.lcr,
      mcr: this.mcr,
      lsr: this.lsr,
      msr: this.msr,
      scr: this.scr,
      thrEmptyPending: this.thrEmptyPending,
      rxFifo: [...this.rxFifo],
      pendingInput: this.input.toArray(),
    };
  }

  /** Rebuild a UART from a snapshot; drives the IRQ line at once if an interrupt is pending. */
  static fromState(state: Uart16550State, irq: IrqLine, output: (byte: number) => void): Uart16550FromState {
    const error = validate(state);
    if (error !== undefined) return { ok: false, error };
    const uart = new Uart16550(irq, output);
    uart.dll = state.dll;
    uart.dlm = state.dlm;
    uart.ier = state.ier;
    uart.fcr = state.fcr;
    uart.lcr = state.lcr;
    uart.mcr = state.mcr;
    uart.lsr = state.lsr;
    uart.msr = state.msr;
    uart.scr = state.scr;
    uart.thrEmptyPending = state.thrEmptyPending;
    uart.rxFifo = [...state.rxFifo];
    for (const b of state.pendingInput) uart.input.push(b);
    uart.refill();
    uart.update();
    return { ok: true, uart };
  }
}

function validate(s: Uart16550State): Uart16550StateError | undefined {
  if (typeof s !== 'object' || s === null) return { kind: 'bad-register', field: 'state', value: s };
  const masks: [keyof Uart16550State, number][] = [
    ['dll', 0xff],
    ['dlm', 0xff],
    ['ier', UART_IER_VALID],
    ['fcr', UART_FCR_STORED],
    ['lcr', 0xff],
    ['mcr', UART_MCR_VALID],
    ['lsr', 0xff],
    ['msr', 0xff],
    ['scr', 0xff],
  ];
  for (const [field, allowed] of masks) {
    const value = s[field];
    if (!isByte(value) || (value & ~allowed) !== 0) return { kind: 'bad-register', field, value };
  }
  if (typeof s.thrEmptyPending !== 'boolean') {
    return { kind: 'bad-register', field: 'thrEmptyPending', value: s.thrEmptyPending };
  }
  for (const field of ['rxFifo', 'pendingInput'] as const) {
    const bytes: unknown = s[field];
    if (!Array.isArray(bytes)) return { kind: 'bad-register', field, value: bytes };
    const index = bytes.findIndex((b) => !isByte(b));
    if (index >= 0) return { kind: 'bad-byte', field, index, value: bytes[index] };
  }
  const capacity = s.fcr & UART_FCR_ENABLE_FIFO ? FIFO_SIZE : 1;
  if (s.rxFifo.length > capacity) return { kind: 'fifo-too-long', length: s.rxFifo.length, capacity };
  const lsrFixed = (s.rxFifo.length > 0 ? UART_LSR_DR : 0) | UART_LSR_THRE | UART_LSR_TEMT;
  if ((s.lsr & (UART_LSR_DR | UART_LSR_THRE | UART_LSR_TEMT)) !== lsrFixed) {
    return {
      kind: 'inconsistent',
      field: 'lsr',
      value: s.lsr,
      expected: lsrFixed | (s.lsr & UART_LSR_ERRORS),
    };
  }
  const inputs = modemInputs(s.mcr);
  if ((s.msr & 0xf0) !== inputs) {
    return { kind: 'inconsistent', field: 'msr', value: s.msr, expected: inputs | (s.msr & UART_MSR_DELTAS) };
  }
  return undefined;
}

/** FIFO of bytes in chunks, so a large paste costs O(1) per byte moved. */
class ByteQueue {
  private chunks: number[][] = [];
  private head = 0; // index into chunks[0]
  length = 0;

  push(byte: number): void {
    const last = this.chunks[this.chunks.length - 1];
    if (last !== undefined && last.length < 4096) last.push(byte);
    else this.chunks.push([byte]);
    this.length++;
  }

  /** Caller checks `length > 0` first. */
  shift(): number {
    const chunk = this.chunks[0];
    const byte = chunk[this.head++];
    if (this.head === chunk.length) {
      this.chunks.shift();
      this.head = 0;
    }
    this.length--;
    return byte;
  }

  toArray(): number[] {
    const out = this.chunks.flat();
    return out.slice(this.head);
  }
}
