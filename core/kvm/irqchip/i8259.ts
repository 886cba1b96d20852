// The PC/AT pair of Intel 8259A programmable interrupt controllers, after the Intel
// "8259A Programmable Interrupt Controller" datasheet (order no. 231468), with QEMU
// hw/intc/i8259.c semantics where the datasheet is vague, and the PIIX "Edge/Level
// Control Registers" (ELCR, ports 0x4d0/0x4d1; Intel 82371AB PIIX4 datasheet, 4.1.10).
//
// Wiring as on every PC since the AT: the slave's INT output drives master IR2, so ISA
// IRQ 8-15 arrive through IRQ2 (which is why IRQ2 itself is not a device line), and the
// cascade is fixed regardless of ICW3 (QEMU ignores ICW3 too).

import type { AccessSize, IrqLine, PioDevice } from './io-device.ts';

/** Conventional port bases; each PIC decodes 2 ports, the ELCR 2 (master, then slave). */
export const PIC8259_PORTS = { master: 0x20, slave: 0xa0, elcr: 0x4d0 } as const;

const CASCADE_IR = 2;
// PIIX4 ELCR1/ELCR2: ELCR1 bits 0-2 (IRQ0, 1, 2) and ELCR2 bits 0 and 5 (IRQ8, IRQ13) are
// reserved: those lines are always edge triggered. QEMU i8259_init_chip() and Xen vpic.c
// use the same masks.
const MASTER_ELCR_MASK = 0xf8;
const SLAVE_ELCR_MASK = 0xde;

/** One 8259A's registers and mode bits: plain data (STYLE.md rule 2). */
export interface I8259State {
  irr: number;
  imr: number;
  isr: number;
  /** The last level seen on each IR input: the edge-sense latch. */
  lines: number;
  /** Rotation: IR `priorityAdd` has the highest priority (0 after ICW1). */
  priorityAdd: number;
  /** ICW2 bits 7:3: the vector of IR0. */
  irqBase: number;
  /** OCW3 RIS: port 0 reads ISR instead of IRR. */
  readIsr: boolean;
  /** OCW3 P: the next read is a poll. */
  poll: boolean;
  /** OCW3 SMM: special mask mode. */
  specialMask: boolean;
  /** 0 = ready; 1, 2, 3 = expecting ICW2, ICW3, ICW4. */
  initState: number;
  /** ICW1 IC4. */
  needIcw4: boolean;
  /** ICW1 SNGL. */
  singleMode: boolean;
  /** ICW1 LTIM: every IR level triggered. */
  levelTriggered: boolean;
  /** ICW4 AEOI. */
  autoEoi: boolean;
  /** OCW2 "rotate in automatic EOI mode". */
  rotateOnAutoEoi: boolean;
  /** ICW4 SFNM. */
  specialFullyNested: boolean;
  /** PIIX ELCR: per-IR level triggering. */
  elcr: number;
}

export interface Pic8259State {
  master: I8259State;
  slave: I8259State;
}

export type Pic8259StateError =
  | { kind: 'bad-field'; chip: 'master' | 'slave'; field: string; value: unknown }
  | { kind: 'cascade-mismatch'; masterLine: boolean; slaveOutput: boolean };

export type Pic8259FromState = { ok: true; pic: Pic8259Pair } | { ok: false; error: Pic8259StateError };

/** One 8259A. Internal: the guest reaches it through `Pic8259Pair`'s port adapters. */
class I8259 {
  irr = 0;
  imr = 0;
  isr = 0;
  lines = 0;
  priorityAdd = 0;
  irqBase = 0;
  readIsr = false;
  poll = false;
  specialMask = false;
  initState = 0;
  needIcw4 = false;
  singleMode = false;
  levelTriggered = false;
  autoEoi = false;
  rotateOnAutoEoi = false;
  specialFullyNested = false;
  elcr = 0;

  constructor(
    readonly isMaster: boolean,
    readonly elcrMask: number,
  ) {}

  private levelMask(): number {
    return this.levelTriggered ? 0xff : this.elcr;
  }

  /** Highest priority (0 = highest) among the IRs in `mask` after rotation; 8 if none. */
  private priority(mask: number): number {
    if (mask === 0) return 8;
    let p = 0;
    while ((mask & (1 << ((p + this.priorityAdd) & 7))) === 0) p++;
    return p;
  }

  /** The IR this chip would present at INTA, or -1: its INT output. */
  pendingIrq(): number {
    const p = this.priority(this.irr & ~this.imr);
    if (p === 8) return -1;
    let inService = this.isr;
    // Special mask mode: masked levels do not block lower ones ("Special Mask Mode").
    if (this.specialMask) inService &= ~this.imr;
    // SFNM: a second slave request may interrupt the master while IR2 is in service.
    if (this.specialFullyNested && this.isMaster) inService &= ~(1 << CASCADE_IR);
    return p < this.priority(inService) ? (p + this.priorityAdd) & 7 : -1;
  }

  setLine(ir: number, level: boolean): void {
    const bit = 1 << ir;
    if (this.levelMask() & bit) {
      // Level triggered: IRR follows the line ("Level Triggered Mode").
      if (level) this.irr |= bit;
      else this.irr &= ~bit;
    } else if (level && (this.lines & bit) === 0) {
      this.irr |= bit; // rising edge; IRR stays set until INTA even if the line drops (as QEMU)
    }
    if (level) this.lines |= bit;
    else this.lines &= ~bit;
  }

  /** The INTA pulses for `ir`: ISR set (unless AEOI), edge requests consumed. */
  intack(ir: number): void {
    const bit = 1 << ir;
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.priorityAdd = (ir + 1) & 7;
    } else {
      this.isr |= bit;
    }
    if ((this.levelMask() & bit) === 0) this.irr &= ~bit;
  }

  read(offset: number): number {
    if (this.poll) {
      // OCW3 poll: the read acts as INTA and returns I (bit 7) and W2-W0 ("The Poll Command").
      this.poll = false;
      const ir = this.pendingIrq();
      if (ir < 0) return 0;
      this.intack(ir);
      return 0x80 | ir;
    }
    if (offset === 0) return this.readIsr ? this.isr : this.irr;
    return this.imr;
  }

  write(offset: number, v: number): void {
    if (offset === 0) {
      if (v & 0x10) this.icw1(v);
      else if (v & 0x08) this.ocw3(v);
      else this.ocw2(v);
      return;
    }
    switch (this.initState) {
      case 0:
        this.imr = v; // OCW1
        break;
      case 1:
        this.irqBase = v & 0xf8; // ICW2: T7-T3; the IR number fills bits 2:0
        this.initState = this.singleMode ? (this.needIcw4 ? 3 : 0) : 2;
        break;
      case 2:
        this.initState = this.needIcw4 ? 3 : 0; // ICW3: cascade is fixed, see header
        break;
      default:
        // ICW4: SFNM (bit 4), AEOI (bit 1). uPM (bit 0) is assumed 1: x86 mode.
        this.specialFullyNested = (v & 0x10) !== 0;
        this.autoEoi = (v & 0x02) !== 0;
        this.initState = 0;
        break;
    }
  }

  private icw1(v: number): void {
    // "Initialization Command Words": ICW1 clears IMR, resets the edge-sense circuit (an IR
    // already high must go low and high again; so `lines` is kept), gives IR7 the lowest
    // priority, clears special mask mode, selects IRR for reads and, if IC4 = 0, zeroes ICW4.
    this.levelTriggered = (v & 0x08) !== 0;
    this.singleMode = (v & 0x02) !== 0;
    this.needIcw4 = (v & 0x01) !== 0;
    this.irr = this.lines & this.levelMask();
    this.imr = 0;
    this.isr = 0;
    this.priorityAdd = 0;
    this.irqBase = 0;
    this.readIsr = false;
    this.poll = false;
    this.specialMask = false;
    this.autoEoi = false;
    this.rotateOnAutoEoi = false;
    this.specialFullyNested = false;
    this.initState = 1;
  }

  private ocw2(v: number): void {
    // OCW2 bits 7:5 = R, SL, EOI ("Operation Command Words", OCW2 table).
    const level = v & 7;
    switch (v >> 5) {
      case 0b000: // clear rotate in AEOI mode
      case 0b100: // set rotate in AEOI mode
        this.rotateOnAutoEoi = v >> 7 === 1;
        break;
      case 0b001: // non-specific EOI
      case 0b101: {
        // 0b101: rotate on non-specific EOI.
        // "ISR bits masked by an IMR bit will not be cleared by a non-specific EOI if the
        // 8259A is in the Special Mask Mode" (QEMU ignores this note).
        const candidates = this.specialMask ? this.isr & ~this.imr : this.isr;
        const p = this.priority(candidates);
        if (p === 8) break;
        const ir = (p + this.priorityAdd) & 7;
        this.isr &= ~(1 << ir);
        if (v >> 5 === 0b101) this.priorityAdd = (ir + 1) & 7;
        break;
      }
      case 0b011: // specific EOI
        this.isr &= ~(1 << level);
        break;
      case 0b110: // set priority: `level` becomes the lowest
        this.priorityAdd = (level + 1) & 7;
        break;
      case 0b111: // rotate on specific EOI
        this.isr &= ~(1 << level);
        this.priorityAdd = (level + 1) & 7;
        break;
      default: // 0b010: no operation
        break;
    }
  }

  private ocw3(v: number): void {
    // OCW3: bit 6 ESMM enables bit 5 SMM; bit 2 P; bit 1 RR enables bit 0 RIS.
    if (v & 0x04) this.poll = true;
    if (v & 0x02) this.readIsr = (v & 0x01) !== 0;
    if (v & 0x40) this.specialMask = (v & 0x20) !== 0;
  }

  writeElcr(v: number): void {
    this.elcr = v & this.elcrMask;
    // An IR that is now level triggered reports its current line level.
    const level = this.levelMask();
    this.irr = (this.irr & ~level) | (this.lines & level);
  }

  state(): I8259State {
    return {
      irr: this.irr,
      imr: this.imr,
      isr: this.isr,
      lines: this.lines,
      priorityAdd: this.priorityAdd,
      irqBase: this.irqBase,
      readIsr: this.readIsr,
      poll: this.poll,
      specialMask: this.specialMask,
      initState: this.initState,
      needIcw4: this.needIcw4,
      singleMode: this.singleMode,
      levelTriggered: this.levelTriggered,
      autoEoi: this.autoEoi,
      rotateOnAutoEoi: this.rotateOnAutoEoi,
      specialFullyNested: this.specialFullyNested,
      elcr: this.elcr,
    };
  }

  /** Load a validated snapshot. */
  load(s: I8259State): void {
    this.irr = s.irr;
    this.imr = s.imr;
    this.isr = s.isr;
    this.lines = s.lines;
    this.priorityAdd = s.priorityAdd;
    this.irqBase = s.irqBase;
    this.readIsr = s.readIsr;
    this.poll = s.poll;
    this.specialMask = s.specialMask;
    this.initState = s.initState;
    this.needIcw4 = s.needIcw4;
    this.singleMode = s.singleMode;
    this.levelTriggered = s.levelTriggered;
    this.autoEoi = s.autoEoi;
    this.rotateOnAutoEoi = s.rotateOnAutoEoi;
    this.specialFullyNested = s.specialFullyNested;
    this.elcr = s.elcr;
  }
}

export class Pic8259Pair {
  /** Fired when `hasInterrupt()` may have become true: the VMM kicks the vCPU. */
  onInterruptChange?: () => void;

  /** Ports 0x20-0x21: offset 0 = ICW1/OCW2/OCW3 and IRR/ISR, offset 1 = ICW2-4/OCW1 and IMR. */
  readonly master: PioDevice;
  /** Ports 0xa0-0xa1, as `master`. */
  readonly slave: PioDevice;
  /** Ports 0x4d0-0x4d1: ELCR1 (IRQ 0-7), ELCR2 (IRQ 8-15). */
  readonly elcr: PioDevice;

  private readonly m = new I8259(true, MASTER_ELCR_MASK);
  private readonly s = new I8259(false, SLAVE_ELCR_MASK);
  private output = false;

  constructor() {
    this.master = this.ports(this.m);
    this.slave = this.ports(this.s);
    this.elcr = {
      maxAccessSize: 1,
      read: (offset: number, _size: AccessSize) => (offset === 0 ? this.m : this.s).elcr,
      write: (offset: number, _size: AccessSize, value: number) => {
        (offset === 0 ? this.m : this.s).writeElcr(value & 0xff);
        this.update();
      },
    };
  }

  private ports(chip: I8259): PioDevice {
    return {
      maxAccessSize: 1,
      read: (offset: number, _size: AccessSize) => {
        const value = chip.read(offset & 1);
        this.update();
        return value;
      },
      write: (offset: number, _size: AccessSize, value: number) => {
        chip.write(offset & 1, value & 0xff);
        this.update();
      },
    };
  }

  /** Drive ISA IRQ `irq` (0-15, not 2: that input is the cascade). A host bug throws. */
  setIrq(irq: number, level: boolean): void {
    if (!Number.isInteger(irq) || irq < 0 || irq > 15 || irq === CASCADE_IR) {
      throw new RangeError(`pic8259: no device IRQ line ${irq}`);
    }
    if (irq < 8) this.m.setLine(irq, level);
    else this.s.setLine(irq - 8, level);
    this.update();
  }

  /** The IrqLine a device such as the UART drives. */
  line(irq: number): IrqLine {
    return { setLevel: (level: boolean) => this.setIrq(irq, level) };
  }

  /** The master's INT output: an unmasked request above the in-service priority. */
  hasInterrupt(): boolean {
    return this.m.pendingIrq() >= 0;
  }

  /**
   * The INTA cycle. With nothing pending (the request went away after INT was seen) the
   * 8259A answers with IR7 and sets no ISR bit: vector base+7 on the master; a spurious
   * slave request still puts IR2 in service on the master ("Interrupt Sequence"; QEMU
   * pic_read_irq), so the guest must EOI the master for a spurious IRQ15.
   */
  acknowledge(): number {
    const ir = this.m.pendingIrq();
    let vector: number;
    if (ir < 0) {
      vector = this.m.irqBase + 7;
    } else {
      if (ir === CASCADE_IR) {
        const ir2 = this.s.pendingIrq();
        if (ir2 >= 0) this.s.intack(ir2);
        vector = this.s.irqBase + (ir2 >= 0 ? ir2 : 7);
        this.m.setLine(CASCADE_IR, this.s.pendingIrq() >= 0);
      } else {
        vector = this.m.irqBase + ir;
      }
      this.m.intack(ir);
    }
    this.update();
    return vector;
  }

  /** Propagate the slave's INT to master IR2, then report a rising master INT. */
  private update(): void {
    this.m.setLine(CASCADE_IR, this.s.pendingIrq() >= 0);
    const output = this.m.pendingIrq() >= 0;
    const rose = output && !this.output;
    this.output = output;
    if (rose) this.onInterruptChange?.();
  }

  saveState(): Pic8259State {
    return { master: this.m.state(), slave: this.s.state() };
  }

  /**
   * KVM_SET_IRQCHIP of one chip (KVM: kvm_vm_ioctl_set_irqchip): loads it if every field is
   * valid, then the cascade and the INT output follow.
   */
  loadChipState(which: 'master' | 'slave', state: I8259State): Pic8259StateError | undefined {
    const error = loadChip(which === 'master' ? this.m : this.s, state, which);
    if (error === undefined) this.update();
    return error;
  }

  static fromState(state: Pic8259State): Pic8259FromState {
    if (typeof state !== 'object' || state === null) {
      return { ok: false, error: { kind: 'bad-field', chip: 'master', field: 'state', value: state } };
    }
    const pic = new Pic8259Pair();
    for (const [name, chip] of [
      ['master', pic.m],
      ['slave', pic.s],
    ] as const) {
      const error = loadChip(chip, state[name], name);
      if (error !== undefined) return { ok: false, error };
    }
    const masterLine = (pic.m.lines & (1 << CASCADE_IR)) !== 0;
    const slaveOutput = pic.s.pendingIrq() >= 0;
    if (masterLine !== slaveOutput) {
      return { ok: false, error: { kind: 'cascade-mismatch', masterLine, slaveOutput } };
    }
    pic.output = pic.m.pendingIrq() >= 0;
    return { ok: true, pic };
  }
}

const BYTE_FIELDS = ['irr', 'imr', 'isr', 'lines', 'irqBase', 'elcr'] as const;
const BOOL_FIELDS = [
  'readIsr',
  'poll',
  'specialMask',
  'needIcw4',
  'singleMode',
  'levelTriggered',
  'autoEoi',
  'rotateOnAutoEoi',
  'specialFullyNested',
] as const;

function loadChip(chip: I8259, s: I8259State, name: 'master' | 'slave'): Pic8259StateError | undefined {
  const bad = (field: string, value: unknown): Pic8259StateError => ({
    kind: 'bad-field',
    chip: name,
    field,
    value,
  });
  if (typeof s !== 'object' || s === null) return bad('chip', s);
  for (const f of BYTE_FIELDS) {
    const v = s[f];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xff) return bad(f, v);
  }
  if ((s.irqBase & 7) !== 0) return bad('irqBase', s.irqBase);
  if ((s.elcr & ~chip.elcrMask) !== 0) return bad('elcr', s.elcr);
  for (const f of BOOL_FIELDS) if (typeof s[f] !== 'boolean') return bad(f, s[f]);
  for (const [f, max] of [
    ['priorityAdd', 7],
    ['initState', 3],
  ] as const) {
    const v = s[f];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) return bad(f, v);
  }
  chip.load(s);
  return undefined;
}
