// The PC/AT keyboard controller (Intel 8042 running IBM's firmware, PS/2 variant with an
// auxiliary port), with a PS/2 keyboard and mouse attached: enough for Linux's i8042 probe
// (drivers/input/serio/i8042.c: flush, self test, CTR read/write, AUX loopback and bit
// tests, AUX IRQ test, MUX probe), atkbd's and psmouse's identification, and reset through
// the controller. Bit and command names follow Linux drivers/input/serio/i8042.h and
// include/linux/i8042.h; behaviour follows the IBM PC/AT and PS/2 technical references as
// QEMU hw/input/pckbd.c and ps2.c implement them. No host keyboard or mouse input yet.
//
// Port 0x60 reads the output buffer and writes data (to the keyboard, or a parameter of the
// last controller command); port 0x64 reads status and writes controller commands. Port
// 0x61 between them belongs to another device, so the controller offers two port devices.
//
// Output: the controller has one output register. Its own replies queue ahead of bytes
// from the keyboard and mouse, which each hold up to 16 (the PS/2 devices' buffer, QEMU
// PS2_QUEUE_SIZE) and send only while their interface is enabled in the CTR. A byte from
// the keyboard passes the scan-code translator when CTR.XLATE = 1. IRQ 1 is asserted while
// the output register holds a keyboard-side byte and CTR.KBDINT = 1; IRQ 12 likewise for
// AUX bytes and CTR.AUXINT. Reading port 0x60 with the buffer empty returns the last byte
// again (QEMU; EMM386 relies on it). The controller and devices answer at once, so IBF is
// never set and nothing times out.

import type { AccessSize, IrqLine, PioDevice } from '../bus.ts';

export const I8042_DATA_PORT = 0x60;
export const I8042_COMMAND_PORT = 0x64;
export const I8042_KBD_IRQ = 1;
export const I8042_AUX_IRQ = 12;

// Status register.
export const I8042_STR_AUXDATA = 0x20;
export const I8042_STR_KEYLOCK = 0x10; // 1 = keyboard not inhibited by the key lock
export const I8042_STR_CMDDAT = 0x08; // last write was to port 0x64
export const I8042_STR_SYSFLAG = 0x04; // the CTR's system flag (Linux: I8042_STR_MUXERR in MUX mode)
export const I8042_STR_OBF = 0x01;
// Controller configuration byte (CTR), RAM byte 0.
export const I8042_CTR_KBDINT = 0x01;
export const I8042_CTR_AUXINT = 0x02;
export const I8042_CTR_SYSFLAG = 0x04;
export const I8042_CTR_KBDDIS = 0x10;
export const I8042_CTR_AUXDIS = 0x20;
export const I8042_CTR_XLATE = 0x40;

// Controller commands (port 0x64).
const CMD_READ_RAM = 0x20; // 0x20-0x3f: read RAM byte n (0x20 = I8042_CMD_CTL_RCTR)
const CMD_WRITE_RAM = 0x60; // 0x60-0x7f: write RAM byte n (0x60 = I8042_CMD_CTL_WCTR)
const CMD_AUX_DISABLE = 0xa7;
const CMD_AUX_ENABLE = 0xa8;
const CMD_AUX_TEST = 0xa9;
const CMD_CTL_TEST = 0xaa;
const CMD_KBD_TEST = 0xab;
const CMD_KBD_DISABLE = 0xad;
const CMD_KBD_ENABLE = 0xae;
const CMD_READ_INPUT_PORT = 0xc0;
const CMD_READ_OUTPUT_PORT = 0xd0;
const CMD_WRITE_OUTPUT_PORT = 0xd1;
const CMD_KBD_LOOP = 0xd2; // write the output buffer as if from the keyboard
const CMD_AUX_LOOP = 0xd3; // ... as if from the mouse
const CMD_AUX_SEND = 0xd4; // write the next byte to the mouse
const CMD_DISABLE_A20 = 0xdd;
const CMD_ENABLE_A20 = 0xdf;
const CMD_PULSE_OUTPUT = 0xf0; // 0xf0-0xff: pulse output port bits 3:0 that are 0 in the command
// (0xfe pulses bit 0 alone, the CPU reset line: the classic reboot; 0xff pulses nothing)

const RAM_SIZE = 32;
const RET_CTL_TEST = 0x55; // I8042_RET_CTL_TEST
const RET_INTERFACE_OK = 0x00; // interface tests: no clock or data line stuck
/** Input port: bit 7 = keyboard not inhibited (QEMU reads 0x80). */
const INPUT_PORT = 0x80;
// Output port: bit 0 = CPU not in reset, bit 1 = A20 gate, bits 4/5 = output buffer full (KBD/AUX).
const OUT_RESET = 0x01;
const OUT_A20 = 0x02;
const OUT_KBD_OBF = 0x10;
const OUT_AUX_OBF = 0x20;
const OUT_POWER_ON = 0xcf; // QEMU: reset released, A20 on, unused bits 2, 3, 6, 7 high

// PS/2 device commands and replies (IBM PS/2 Hardware Interface Technical Reference, keyboard and
// auxiliary device chapters).
const ACK = 0xfa;
const RESEND = 0xfe;
const BAT_OK = 0xaa; // basic assurance test passed, sent after a reset
const KBD_SET_LEDS = 0xed;
const KBD_ECHO = 0xee;
const KBD_SCANCODE_SET = 0xf0;
const KBD_GET_ID = 0xf2;
const KBD_SET_TYPEMATIC = 0xf3;
const KBD_ENABLE = 0xf4;
const KBD_DEFAULT_DISABLE = 0xf5;
const KBD_DEFAULT_ENABLE = 0xf6;
const KBD_RESEND = 0xfe;
const KBD_RESET = 0xff;
const KBD_ID = [0xab, 0x83]; // MF2 keyboard
const AUX_SET_SCALE11 = 0xe6;
const AUX_SET_SCALE21 = 0xe7;
const AUX_SET_RES = 0xe8;
const AUX_GET_STATUS = 0xe9;
const AUX_SET_STREAM = 0xea;
const AUX_POLL = 0xeb;
const AUX_RESET_WRAP = 0xec;
const AUX_SET_WRAP = 0xee;
const AUX_SET_REMOTE = 0xf0;
const AUX_GET_ID = 0xf2;
const AUX_SET_SAMPLE = 0xf3;
const AUX_ENABLE = 0xf4;
const AUX_DISABLE = 0xf5;
const AUX_SET_DEFAULT = 0xf6;
const AUX_RESEND = 0xfe;
const AUX_RESET = 0xff;
const AUX_STATUS_REMOTE = 0x40;
const AUX_STATUS_ENABLED = 0x20;
const AUX_STATUS_SCALE21 = 0x10;
const AUX_PACKET_ALWAYS_ONE = 0x08; // bit 3 of a movement packet's first byte
const DEVICE_QUEUE_SIZE = 16;

/**
 * The translator's entries for the set-2 bytes this keyboard can send (scan-code set
 * numbers and the ID's 0x83): 01 -> 43, 02 -> 41, 03 -> 3F, 83 -> 41, as QEMU ps2.c
 * answers when translating. Replies FA, AA, EE, FE and AB pass unchanged.
 */
const XLATE: ReadonlyMap<number, number> = new Map([
  [0x01, 0x43],
  [0x02, 0x41],
  [0x03, 0x3f],
  [0x83, 0x41],
]);

export interface I8042Callbacks {
  /** The CPU reset line was pulsed (command 0xFE, or output port bit 0 written as 0). */
  onReset(): void;
  /** Output port bit 1, the A20 gate, changed. */
  onA20?(enabled: boolean): void;
}

interface OutByte {
  byte: number;
  aux: boolean;
}

export interface Ps2KeyboardState {
  scanning: boolean;
  scanSet: number;
  leds: number;
  typematic: number;
  /** A command waiting for its parameter byte, or 0. */
  pending: number;
  lastSent: number;
  queue: number[];
}

export interface Ps2MouseState {
  /** AUX_STATUS_* bits: remote, enabled, 2:1 scaling. */
  status: number;
  resolution: number;
  sampleRate: number;
  wrap: boolean;
  pending: number;
  lastSent: number;
  queue: number[];
}

export interface I8042State {
  ram: number[];
  outputPort: number;
  /** A controller command waiting for its data byte, or 0. */
  pendingCommand: number;
  lastWriteWasCommand: boolean;
  output: OutByte | null;
  lastByte: number;
  controllerQueue: OutByte[];
  keyboard: Ps2KeyboardState;
  mouse: Ps2MouseState;
}

export type I8042StateError = { kind: 'bad-field'; field: string; value: unknown };

export type I8042FromState = { ok: true; i8042: I8042 } | { ok: false; error: I8042StateError };

/** A PS/2 device's side of the cable: bytes it has to send, at most 16. */
abstract class Ps2Device {
  queue: number[] = [];
  lastSent = 0;
  pending = 0;

  protected send(...bytes: number[]): void {
    for (const b of bytes) if (this.queue.length < DEVICE_QUEUE_SIZE) this.queue.push(b);
  }

  /** The controller takes the next byte. */
  take(): number | undefined {
    const b = this.queue.shift();
    if (b !== undefined) this.lastSent = b;
    return b;
  }

  abstract receive(byte: number): void;
}

class Ps2Keyboard extends Ps2Device {
  scanning = true;
  scanSet = 2;
  leds = 0;
  typematic = 0x2b; // 10.9 characters/s after 500 ms: the power-on default

  receive(byte: number): void {
    if (this.pending !== 0) {
      const command = this.pending;
      this.pending = 0;
      if (command === KBD_SET_LEDS) this.leds = byte & 0x07;
      else if (command === KBD_SET_TYPEMATIC) this.typematic = byte & 0x7f;
      else if (byte === 0) {
        this.send(ACK, this.scanSet); // F0 00: report the current set
        return;
      } else if (byte <= 3) this.scanSet = byte;
      this.send(ACK);
      return;
    }
    switch (byte) {
      case KBD_SET_LEDS:
      case KBD_SET_TYPEMATIC:
      case KBD_SCANCODE_SET:
        this.pending = byte;
        this.send(ACK);
        break;
      case KBD_ECHO:
        this.send(KBD_ECHO);
        break;
      case KBD_GET_ID:
        this.send(ACK, ...KBD_ID);
        break;
      case KBD_ENABLE:
        this.queue = []; // Enable: ACK, clear the output buffer, start scanning
        this.scanning = true;
        this.send(ACK);
        break;
      case KBD_DEFAULT_DISABLE:
      case KBD_DEFAULT_ENABLE:
        // Both restore the power-on settings and clear the output buffer; F5 also stops scanning.
        this.defaults();
        this.queue = [];
        this.scanning = byte === KBD_DEFAULT_ENABLE;
        this.send(ACK);
        break;
      case KBD_RESEND:
        this.send(this.lastSent);
        break;
      case KBD_RESET:
        this.defaults();
        this.scanning = true;
        this.leds = 0;
        this.queue = [];
        this.send(ACK, BAT_OK);
        break;
      default:
        // F7-FD set scan-code-set-3 key types: accepted and ignored. Anything else is invalid.
        this.send(byte >= 0xf7 && byte <= 0xfd ? ACK : RESEND);
        break;
    }
  }

  private defaults(): void {
    this.scanSet = 2;
    this.typematic = 0x2b;
  }

  save(): Ps2KeyboardState {
    const { scanning, scanSet, leds, typematic, pending, lastSent } = this;
    return { scanning, scanSet, leds, typematic, pending, lastSent, queue: [...this.queue] };
  }

  restore(s: Ps2KeyboardState): void {
    this.scanning = s.scanning;
    this.scanSet = s.scanSet;
    this.leds = s.leds;
    this.typematic = s.typematic;
    this.pending = s.pending;
    this.lastSent = s.lastSent;
    this.queue = [...s.queue];
  }
}

class Ps2Mouse extends Ps2Device {
  status = 0;
  resolution = 2; // 4 counts/mm
  sampleRate = 100;
  wrap = false;

  receive(byte: number): void {
    if (this.wrap && byte !== AUX_RESET_WRAP && byte !== AUX_RESET) {
      this.send(byte); // wrap mode echoes everything else
      return;
    }
    if (this.pending !== 0) {
      if (this.pending === AUX_SET_RES) this.resolution = byte & 0x03;
      else this.sampleRate = byte;
      this.pending = 0;
      this.send(ACK);
      return;
    }
    switch (byte) {
      case AUX_SET_SCALE11:
      case AUX_SET_SCALE21:
        this.status =
          byte === AUX_SET_SCALE21 ? this.status | AUX_STATUS_SCALE21 : this.status & ~AUX_STATUS_SCALE21;
        this.send(ACK);
        break;
      case AUX_SET_RES:
      case AUX_SET_SAMPLE:
        this.pending = byte;
        this.send(ACK);
        break;
      case AUX_GET_STATUS:
        this.send(ACK, this.status, this.resolution, this.sampleRate);
        break;
      case AUX_SET_STREAM:
      case AUX_SET_REMOTE:
        this.status =
          byte === AUX_SET_REMOTE ? this.status | AUX_STATUS_REMOTE : this.status & ~AUX_STATUS_REMOTE;
        this.send(ACK);
        break;
      case AUX_POLL:
        this.send(ACK, AUX_PACKET_ALWAYS_ONE, 0, 0); // no buttons, no movement
        break;
      case AUX_RESET_WRAP:
      case AUX_SET_WRAP:
        this.wrap = byte === AUX_SET_WRAP;
        this.send(ACK);
        break;
      case AUX_GET_ID:
        this.send(ACK, 0x00); // a standard PS/2 mouse
        break;
      case AUX_ENABLE:
      case AUX_DISABLE:
        this.status =
          byte === AUX_ENABLE ? this.status | AUX_STATUS_ENABLED : this.status & ~AUX_STATUS_ENABLED;
        this.send(ACK);
        break;
      case AUX_SET_DEFAULT:
        this.defaults();
        this.send(ACK);
        break;
      case AUX_RESEND:
        this.send(this.lastSent);
        break;
      case AUX_RESET:
        this.defaults();
        this.wrap = false;
        this.queue = [];
        this.send(ACK, BAT_OK, 0x00); // BAT result, then the device ID
        break;
      default:
        this.send(RESEND);
        break;
    }
  }

  private defaults(): void {
    this.status = 0;
    this.resolution = 2;
    this.sampleRate = 100;
  }

  save(): Ps2MouseState {
    const { status, resolution, sampleRate, wrap, pending, lastSent } = this;
    return { status, resolution, sampleRate, wrap, pending, lastSent, queue: [...this.queue] };
  }

  restore(s: Ps2MouseState): void {
    this.status = s.status;
    this.resolution = s.resolution;
    this.sampleRate = s.sampleRate;
    this.wrap = s.wrap;
    this.pending = s.pending;
    this.lastSent = s.lastSent;
    this.queue = [...s.queue];
  }
}

export class I8042 {
  /** Port 0x60: output buffer / data. */
  readonly dataPort: PioDevice;
  /** Port 0x64: status / command. */
  readonly commandPort: PioDevice;

  private readonly ram = new Uint8Array(RAM_SIZE);
  private outputPort = OUT_POWER_ON;
  private pendingCommand = 0;
  private lastWriteWasCommand = true;
  private output: OutByte | null = null;
  private lastByte = 0;
  private controllerQueue: OutByte[] = [];
  private readonly keyboard = new Ps2Keyboard();
  private readonly mouse = new Ps2Mouse();
  private kbdLevel = false;
  private auxLevel = false;

  constructor(
    private readonly kbdIrq: IrqLine,
    private readonly auxIrq: IrqLine,
    private readonly callbacks: I8042Callbacks,
  ) {
    this.ram[0] = I8042_CTR_KBDINT | I8042_CTR_AUXINT; // QEMU's power-on CTR
    this.dataPort = {
      maxAccessSize: 1,
      read: (_offset: number, _size: AccessSize) => this.readData(),
      write: (_offset: number, _size: AccessSize, value: number) => this.writeData(value & 0xff),
    };
    this.commandPort = {
      maxAccessSize: 1,
      read: (_offset: number, _size: AccessSize) => this.readStatus(),
      write: (_offset: number, _size: AccessSize, value: number) => this.writeCommand(value & 0xff),
    };
  }

  private get ctr(): number {
    return this.ram[0];
  }

  private readStatus(): number {
    return (
      (this.output !== null ? I8042_STR_OBF : 0) |
      (this.output?.aux === true ? I8042_STR_AUXDATA : 0) |
      (this.ctr & I8042_CTR_SYSFLAG ? I8042_STR_SYSFLAG : 0) |
      (this.lastWriteWasCommand ? I8042_STR_CMDDAT : 0) |
      I8042_STR_KEYLOCK
    );
  }

  private readData(): number {
    if (this.output !== null) {
      this.lastByte = this.output.byte;
      this.output = null;
      this.updateLines(); // the line drops, so a next byte is a new edge for IRQ 1/12
      this.refill();
    }
    return this.lastByte;
  }

  private writeData(v: number): void {
    this.lastWriteWasCommand = false;
    const command = this.pendingCommand;
    this.pendingCommand = 0;
    if (command >= CMD_WRITE_RAM && command < CMD_WRITE_RAM + RAM_SIZE) {
      this.ram[command - CMD_WRITE_RAM] = v;
    } else if (command === CMD_WRITE_OUTPUT_PORT) {
      this.writeOutputPort(v);
    } else if (command === CMD_KBD_LOOP || command === CMD_AUX_LOOP) {
      this.reply(v, command === CMD_AUX_LOOP);
    } else if (command === CMD_AUX_SEND) {
      this.mouse.receive(v);
    } else {
      this.keyboard.receive(v);
    }
    this.refill();
  }

  private writeCommand(v: number): void {
    this.lastWriteWasCommand = true;
    this.pendingCommand = 0;
    if (v >= CMD_READ_RAM && v < CMD_READ_RAM + RAM_SIZE) {
      this.reply(this.ram[v - CMD_READ_RAM]);
    } else if (
      (v >= CMD_WRITE_RAM && v < CMD_WRITE_RAM + RAM_SIZE) ||
      v === CMD_WRITE_OUTPUT_PORT ||
      v === CMD_KBD_LOOP ||
      v === CMD_AUX_LOOP ||
      v === CMD_AUX_SEND
    ) {
      this.pendingCommand = v;
    } else if (v >= CMD_PULSE_OUTPUT) {
      // Bits 3:0 that are 0 are pulsed low for ~6 us; only bit 0 (reset) does anything.
      if ((v & OUT_RESET) === 0) this.callbacks.onReset();
    } else {
      this.simpleCommand(v);
    }
    this.refill();
  }

  private simpleCommand(v: number): void {
    switch (v) {
      case CMD_AUX_DISABLE:
        this.ram[0] |= I8042_CTR_AUXDIS;
        break;
      case CMD_AUX_ENABLE:
        this.ram[0] &= ~I8042_CTR_AUXDIS;
        break;
      case CMD_AUX_TEST:
      case CMD_KBD_TEST:
        this.reply(RET_INTERFACE_OK);
        break;
      case CMD_CTL_TEST:
        this.ram[0] |= I8042_CTR_SYSFLAG; // the system flag is set by a passed self test
        this.reply(RET_CTL_TEST);
        break;
      case CMD_KBD_DISABLE:
        this.ram[0] |= I8042_CTR_KBDDIS;
        break;
      case CMD_KBD_ENABLE:
        this.ram[0] &= ~I8042_CTR_KBDDIS;
        break;
      case CMD_READ_INPUT_PORT:
        this.reply(INPUT_PORT);
        break;
      case CMD_READ_OUTPUT_PORT:
        this.reply(this.outputPortValue());
        break;
      case CMD_DISABLE_A20:
        this.writeOutputPort(this.outputPort & ~OUT_A20);
        break;
      case CMD_ENABLE_A20:
        this.writeOutputPort(this.outputPort | OUT_A20);
        break;
      default:
        break; // unknown commands are ignored, as QEMU does
    }
  }

  private outputPortValue(): number {
    const obf = this.output === null ? 0 : this.output.aux ? OUT_AUX_OBF : OUT_KBD_OBF;
    return (this.outputPort & ~(OUT_KBD_OBF | OUT_AUX_OBF)) | obf;
  }

  private writeOutputPort(v: number): void {
    const a20Changed = ((v ^ this.outputPort) & OUT_A20) !== 0;
    this.outputPort = v;
    if (a20Changed) this.callbacks.onA20?.((v & OUT_A20) !== 0);
    if ((v & OUT_RESET) === 0) this.callbacks.onReset(); // bit 0 low holds the CPU in reset
  }

  private reply(byte: number, aux = false): void {
    if (this.controllerQueue.length < DEVICE_QUEUE_SIZE) this.controllerQueue.push({ byte, aux });
  }

  /** Fill an empty output register: controller replies first, then the enabled devices. */
  private refill(): void {
    if (this.output === null) {
      const own = this.controllerQueue.shift();
      if (own !== undefined) {
        this.output = own;
      } else if ((this.ctr & I8042_CTR_KBDDIS) === 0 && this.keyboard.queue.length > 0) {
        const b = this.keyboard.take() ?? 0;
        this.output = { byte: this.ctr & I8042_CTR_XLATE ? (XLATE.get(b) ?? b) : b, aux: false };
      } else if ((this.ctr & I8042_CTR_AUXDIS) === 0 && this.mouse.queue.length > 0) {
        this.output = { byte: this.mouse.take() ?? 0, aux: true };
      }
    }
    this.updateLines();
  }

  private updateLines(): void {
    const kbd = this.output !== null && !this.output.aux && (this.ctr & I8042_CTR_KBDINT) !== 0;
    const aux = this.output !== null && this.output.aux && (this.ctr & I8042_CTR_AUXINT) !== 0;
    if (kbd !== this.kbdLevel) {
      this.kbdLevel = kbd;
      this.kbdIrq.setLevel(kbd);
    }
    if (aux !== this.auxLevel) {
      this.auxLevel = aux;
      this.auxIrq.setLevel(aux);
    }
  }

  saveState(): I8042State {
    return {
      ram: Array.from(this.ram),
      outputPort: this.outputPort,
      pendingCommand: this.pendingCommand,
      lastWriteWasCommand: this.lastWriteWasCommand,
      output: this.output === null ? null : { ...this.output },
      lastByte: this.lastByte,
      controllerQueue: this.controllerQueue.map((o) => ({ ...o })),
      keyboard: this.keyboard.save(),
      mouse: this.mouse.save(),
    };
  }

  /** Rebuild from a snapshot; IRQ 1 and 12 are assumed to be at the snapshot's levels. */
  static fromState(
    state: I8042State,
    kbdIrq: IrqLine,
    auxIrq: IrqLine,
    callbacks: I8042Callbacks,
  ): I8042FromState {
    const error = validate(state);
    if (error !== undefined) return { ok: false, error };
    const c = new I8042(kbdIrq, auxIrq, callbacks);
    c.ram.set(state.ram);
    c.outputPort = state.outputPort;
    c.pendingCommand = state.pendingCommand;
    c.lastWriteWasCommand = state.lastWriteWasCommand;
    c.output = state.output === null ? null : { ...state.output };
    c.lastByte = state.lastByte;
    c.controllerQueue = state.controllerQueue.map((o) => ({ ...o }));
    c.keyboard.restore(state.keyboard);
    c.mouse.restore(state.mouse);
    c.kbdLevel = c.output !== null && !c.output.aux && (c.ctr & I8042_CTR_KBDINT) !== 0;
    c.auxLevel = c.output !== null && c.output.aux && (c.ctr & I8042_CTR_AUXINT) !== 0;
    return { ok: true, i8042: c };
  }
}

function isByte(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xff;
}

function isOutByte(v: unknown): v is OutByte {
  return (
    typeof v === 'object' &&
    v !== null &&
    isByte((v as OutByte).byte) &&
    typeof (v as OutByte).aux === 'boolean'
  );
}

function isQueue(v: unknown): v is number[] {
  return Array.isArray(v) && v.length <= DEVICE_QUEUE_SIZE && v.every(isByte);
}

function validate(s: I8042State): I8042StateError | undefined {
  if (typeof s !== 'object' || s === null) return { kind: 'bad-field', field: 'state', value: s };
  const ram: unknown = s.ram;
  if (!Array.isArray(ram) || ram.length !== RAM_SIZE || !ram.every(isByte))
    return { kind: 'bad-field', field: 'ram', value: ram };
  for (const field of ['outputPort', 'pendingCommand', 'lastByte'] as const) {
    if (!isByte(s[field])) return { kind: 'bad-field', field, value: s[field] };
  }
  if (typeof s.lastWriteWasCommand !== 'boolean') {
    return { kind: 'bad-field', field: 'lastWriteWasCommand', value: s.lastWriteWasCommand };
  }
  if (s.output !== null && !isOutByte(s.output))
    return { kind: 'bad-field', field: 'output', value: s.output };
  const q: unknown = s.controllerQueue;
  if (!Array.isArray(q) || q.length > DEVICE_QUEUE_SIZE || !q.every(isOutByte)) {
    return { kind: 'bad-field', field: 'controllerQueue', value: q };
  }
  const k: unknown = s.keyboard;
  if (typeof k !== 'object' || k === null) return { kind: 'bad-field', field: 'keyboard', value: k };
  const kb = k as Ps2KeyboardState;
  if (
    typeof kb.scanning !== 'boolean' ||
    ![1, 2, 3].includes(kb.scanSet) ||
    !isByte(kb.leds) ||
    !isByte(kb.typematic) ||
    !isByte(kb.pending) ||
    !isByte(kb.lastSent) ||
    !isQueue(kb.queue)
  ) {
    return { kind: 'bad-field', field: 'keyboard', value: k };
  }
  const m: unknown = s.mouse;
  if (typeof m !== 'object' || m === null) return { kind: 'bad-field', field: 'mouse', value: m };
  const ms = m as Ps2MouseState;
  if (
    !isByte(ms.status) ||
    !isByte(ms.resolution) ||
    !isByte(ms.sampleRate) ||
    typeof ms.wrap !== 'boolean' ||
    !isByte(ms.pending) ||
    !isByte(ms.lastSent) ||
    !isQueue(ms.queue)
  ) {
    return { kind: 'bad-field', field: 'mouse', value: m };
  }
  return undefined;
}
