// Expected values come from the PC16550D datasheet: register summary, "UART Reset
// Configuration", "Interrupt Control Functions" (IIR priorities) and the MCR/MSR/LSR
// bit definitions; the 0x90 loopback check is the one Linux's 8250 autoconfig() makes.
import { describe, expect, it } from 'vitest';
import { Uart16550, type Uart16550State } from './uart16550.ts';

// Register offsets (datasheet register summary); DLAB = LCR bit 7.
const RBR = 0;
const THR = 0;
const DLL = 0;
const IER = 1;
const DLM = 1;
const IIR = 2;
const FCR = 2;
const LCR = 3;
const MCR = 4;
const LSR = 5;
const MSR = 6;
const SCR = 7;

function setup() {
  const levels: boolean[] = [];
  const out: number[] = [];
  const uart = new Uart16550({ setLevel: (l) => levels.push(l) }, (b) => out.push(b));
  return {
    uart,
    levels,
    out,
    rd: (offset: number) => uart.read(offset, 1),
    wr: (offset: number, value: number) => uart.write(offset, 1, value),
    irq: () => levels.at(-1) ?? false,
  };
}

describe('Uart16550 reset state', () => {
  it('matches the datasheet reset configuration', () => {
    const { rd } = setup();
    expect(rd(IER)).toBe(0x00);
    expect(rd(IIR)).toBe(0x01);
    expect(rd(LCR)).toBe(0x00);
    expect(rd(MCR)).toBe(0x00);
    expect(rd(LSR)).toBe(0x60);
    // Bits 3:0 cleared; 7:4 are the inputs: CTS, DSR and DCD asserted by a connected host.
    expect(rd(MSR)).toBe(0xb0);
  });

  it('answers reads and ignores writes at every offset, DLAB on and off, without throwing', () => {
    const { uart, rd, wr } = setup();
    for (const lcr of [0x00, 0x80]) {
      wr(LCR, lcr);
      for (let offset = 0; offset < 8; offset++) {
        expect(rd(offset)).toBeGreaterThanOrEqual(0);
        expect(rd(offset)).toBeLessThanOrEqual(0xff);
      }
    }
    expect(uart.read(8, 1)).toBe(0xff);
    expect(() => uart.write(9, 1, 0x12)).not.toThrow();
  });
});

describe('Uart16550 registers', () => {
  it('maps DLL/DLM at offsets 0/1 while DLAB is set, RBR/THR and IER otherwise', () => {
    const { rd, wr, out } = setup();
    wr(LCR, 0x83);
    wr(DLL, 0x0c); // 9600 baud with the 1.8432 MHz clock
    wr(DLM, 0x00);
    expect([rd(DLL), rd(DLM)]).toEqual([0x0c, 0x00]);
    expect(out).toEqual([]); // the divisor write did not transmit
    expect(rd(IER)).toBe(0x00); // still the DLM at offset 1
    wr(LCR, 0x03);
    expect(rd(IER)).toBe(0x00);
    wr(THR, 0x41);
    expect(out).toEqual([0x41]);
    wr(LCR, 0x83);
    expect(rd(DLL)).toBe(0x0c);
  });

  it('keeps IER bits 7:4 at zero', () => {
    const { rd, wr } = setup();
    wr(IER, 0xff);
    expect(rd(IER)).toBe(0x0f);
  });

  it('keeps MCR bits 7:5 at zero', () => {
    const { rd, wr } = setup();
    wr(MCR, 0xff);
    expect(rd(MCR)).toBe(0x1f);
  });

  it('stores the scratch register and LCR, whatever DLAB is', () => {
    const { rd, wr } = setup();
    wr(LCR, 0x80);
    wr(SCR, 0xa5);
    expect(rd(SCR)).toBe(0xa5);
    expect(rd(LCR)).toBe(0x80);
    expect(rd(IIR)).toBe(0x01); // offsets 2-7 ignore DLAB
  });

  it('ignores writes to the read-only LSR and MSR', () => {
    const { rd, wr } = setup();
    wr(LSR, 0x00);
    wr(MSR, 0x0f);
    expect(rd(LSR)).toBe(0x60);
    expect(rd(MSR)).toBe(0xb0);
  });
});

describe('Uart16550 transmitter', () => {
  it('sends THR bytes to the sink; THRE and TEMT stay set', () => {
    const { rd, wr, out } = setup();
    for (const b of [0x68, 0x69, 0x0a]) wr(THR, b);
    expect(out).toEqual([0x68, 0x69, 0x0a]);
    expect(rd(LSR)).toBe(0x60);
  });

  it('raises THRE when IER bit 1 is enabled with THR empty; an IIR read clears it', () => {
    const { rd, wr } = setup();
    wr(IER, 0x02);
    expect(rd(IIR)).toBe(0x02);
    expect(rd(IIR)).toBe(0x01);
    wr(IER, 0x02); // no rising edge: nothing new
    expect(rd(IIR)).toBe(0x01);
    wr(IER, 0x00);
    wr(IER, 0x02);
    expect(rd(IIR)).toBe(0x02);
  });

  it('re-arms THRE after each THR write, since the byte leaves at once', () => {
    const { rd, wr } = setup();
    wr(IER, 0x02);
    expect(rd(IIR)).toBe(0x02);
    wr(THR, 0x31);
    expect(rd(IIR)).toBe(0x02);
  });
});

describe('Uart16550 receiver', () => {
  it('sets DR and the RDA interrupt for input; reading RBR clears both', () => {
    const { rd, wr, uart } = setup();
    wr(IER, 0x01);
    uart.enqueueInput([0x41]);
    expect(rd(LSR)).toBe(0x61);
    expect(rd(IIR)).toBe(0x04);
    expect(rd(RBR)).toBe(0x41);
    expect(rd(LSR)).toBe(0x60);
    expect(rd(IIR)).toBe(0x01);
  });

  it('reads 0 from an empty RBR and leaves LSR alone', () => {
    const { rd } = setup();
    expect(rd(RBR)).toBe(0);
    expect(rd(LSR)).toBe(0x60);
  });

  it('accepts Uint8Array and keeps only the low byte of numbers', () => {
    const { rd, wr, uart } = setup();
    wr(FCR, 0x01);
    uart.enqueueInput(new Uint8Array([0x61, 0x62]));
    uart.enqueueInput([0x163]);
    expect([rd(RBR), rd(RBR), rd(RBR)]).toEqual([0x61, 0x62, 0x63]);
  });

  it('never loses host input in 16450 mode: bytes wait on the host side, no overrun', () => {
    const { rd, uart } = setup();
    uart.enqueueInput([1, 2, 3]);
    expect(uart.pendingInput).toBe(2);
    expect(rd(LSR)).toBe(0x61);
    expect([rd(RBR), rd(RBR), rd(RBR)]).toEqual([1, 2, 3]);
    expect(rd(LSR)).toBe(0x60);
  });

  it('never loses host input beyond the 16-byte FIFO', () => {
    const { rd, wr, uart } = setup();
    wr(FCR, 0x01);
    const input = Array.from({ length: 40 }, (_, i) => i);
    uart.enqueueInput(input);
    expect(uart.pendingInput).toBe(24);
    expect(rd(LSR)).toBe(0x61);
    expect(input.map(() => rd(RBR))).toEqual(input);
    expect(rd(LSR)).toBe(0x60);
    expect(uart.pendingInput).toBe(0);
  });
});

describe('Uart16550 FIFOs', () => {
  it('reports FIFOs enabled in IIR bits 7:6', () => {
    const { rd, wr } = setup();
    wr(FCR, 0x01);
    expect(rd(IIR)).toBe(0xc1);
    wr(FCR, 0x00);
    expect(rd(IIR)).toBe(0x01);
  });

  it('programs no other FCR bit while FCR0 is 0', () => {
    const { rd, wr } = setup();
    wr(FCR, 0xc0);
    expect(rd(IIR)).toBe(0x01);
  });

  it('signals RDA at the trigger level and a character timeout below it', () => {
    const { rd, wr, uart } = setup();
    wr(FCR, 0xc1); // trigger level 14
    wr(IER, 0x01);
    uart.enqueueInput([1, 2, 3]);
    expect(rd(IIR)).toBe(0xcc);
    uart.enqueueInput([4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(rd(IIR)).toBe(0xc4);
    rd(RBR); // 13 left: below the trigger level again
    expect(rd(IIR)).toBe(0xcc);
  });

  it('uses trigger levels 1, 4, 8, 14 from FCR bits 7:6', () => {
    for (const [fcr, level] of [
      [0x01, 1],
      [0x41, 4],
      [0x81, 8],
      [0xc1, 14],
    ]) {
      const { rd, wr, uart } = setup();
      wr(FCR, fcr);
      wr(IER, 0x01);
      uart.enqueueInput(Array.from({ length: level - 1 }, () => 0x20));
      if (level > 1) expect(rd(IIR)).toBe(0xcc);
      uart.enqueueInput([0x20]);
      expect(rd(IIR)).toBe(0xc4);
    }
  });

  it('clears the receiver FIFO on FCR bit 1 and when FIFOs are switched off', () => {
    const { rd, wr } = setup();
    wr(FCR, 0x01);
    wr(MCR, 0x10);
    wr(THR, 1);
    wr(THR, 2);
    expect(rd(LSR)).toBe(0x61);
    wr(FCR, 0x03);
    expect(rd(LSR)).toBe(0x60);
    wr(THR, 3);
    wr(FCR, 0x00);
    expect(rd(LSR)).toBe(0x60);
  });

  it('sets OE on a 17th byte into a full FIFO, keeping the 16 it holds', () => {
    const { rd, wr } = setup();
    wr(FCR, 0x07);
    wr(MCR, 0x10);
    for (let i = 0; i < 17; i++) wr(THR, i);
    expect(rd(LSR)).toBe(0x63);
    expect(rd(LSR)).toBe(0x61); // OE is reset by the LSR read
    expect(Array.from({ length: 16 }, () => rd(RBR))).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(rd(LSR)).toBe(0x60);
  });

  it('in 16450 mode, a second byte overruns and replaces RBR', () => {
    const { rd, wr } = setup();
    wr(MCR, 0x10);
    wr(THR, 0x61);
    wr(THR, 0x62);
    expect(rd(LSR)).toBe(0x63);
    expect(rd(RBR)).toBe(0x62);
    expect(rd(LSR)).toBe(0x60);
  });
});

describe('Uart16550 interrupts', () => {
  it('reports sources in datasheet priority: line status, data, THRE, modem status', () => {
    const { rd, wr } = setup();
    wr(IER, 0x0f);
    wr(MCR, 0x10); // loopback: CTS, DSR, DCD drop, so MSR deltas 0x0b
    wr(THR, 0x61);
    wr(THR, 0x62); // overrun
    expect(rd(IIR)).toBe(0x06);
    expect(rd(LSR)).toBe(0x63);
    expect(rd(IIR)).toBe(0x04);
    expect(rd(RBR)).toBe(0x62);
    expect(rd(IIR)).toBe(0x02);
    expect(rd(IIR)).toBe(0x00); // the THRE read cleared THRE
    expect(rd(MSR)).toBe(0x0b);
    expect(rd(IIR)).toBe(0x01);
  });

  it('drives the IRQ line only while MCR.OUT2 is set, as the PC wires it', () => {
    const { rd, wr, uart, levels } = setup();
    wr(IER, 0x01);
    uart.enqueueInput([0x41]);
    expect(levels).toEqual([]);
    wr(MCR, 0x08);
    expect(levels).toEqual([true]);
    rd(RBR);
    expect(levels).toEqual([true, false]);
  });

  it('releases the IRQ line in loopback, where the OUT pins are forced inactive', () => {
    const { rd, wr, irq } = setup();
    wr(IER, 0x01);
    wr(MCR, 0x18);
    wr(THR, 0x41);
    expect(rd(IIR)).toBe(0x04);
    expect(irq()).toBe(false);
  });

  it('raises and clears the modem-status interrupt with MSR deltas', () => {
    const { rd, wr, irq } = setup();
    wr(IER, 0x08);
    wr(MCR, 0x18); // loopback; OUT2 drives DCD: CTS and DSR fall
    expect(rd(IIR)).toBe(0x00);
    expect(irq()).toBe(false);
    wr(MCR, 0x08); // back to the line: CTS and DSR rise again
    expect(rd(IIR)).toBe(0x00);
    expect(irq()).toBe(true);
    expect(rd(MSR)).toBe(0xb3);
    expect(rd(IIR)).toBe(0x01);
    expect(irq()).toBe(false);
  });
});

describe('Uart16550 loopback', () => {
  it('returns transmitted bytes to the receiver instead of the sink', () => {
    const { rd, wr, out } = setup();
    wr(MCR, 0x10);
    wr(THR, 0x5a);
    expect(out).toEqual([]);
    expect(rd(LSR)).toBe(0x61);
    expect(rd(RBR)).toBe(0x5a);
  });

  it('maps DTR, RTS, OUT1, OUT2 to DSR, CTS, RI, DCD', () => {
    for (const [mcr, msr] of [
      [0x10, 0x00],
      [0x11, 0x20],
      [0x12, 0x10],
      [0x14, 0x40],
      [0x18, 0x80],
      [0x1f, 0xf0],
      [0x1a, 0x90], // Linux 8250 autoconfig: LOOP | RTS | OUT2 must read back 0x90
    ]) {
      const { rd, wr } = setup();
      wr(MCR, mcr);
      expect(rd(MSR) & 0xf0).toBe(msr);
    }
  });

  it('latches DCTS, DDSR, DDCD on any change and TERI only when RI goes away', () => {
    const { rd, wr } = setup();
    wr(MCR, 0x10);
    expect(rd(MSR)).toBe(0x0b);
    expect(rd(MSR)).toBe(0x00);
    wr(MCR, 0x14); // RI asserted: no delta
    expect(rd(MSR)).toBe(0x40);
    wr(MCR, 0x10); // RI trailing edge
    expect(rd(MSR)).toBe(0x04);
    wr(MCR, 0x13);
    expect(rd(MSR)).toBe(0x33);
    wr(MCR, 0x00); // back to the line: only DCD changes (CTS and DSR were already 1)
    expect(rd(MSR)).toBe(0xb8);
  });

  it('holds host input while SIN is disconnected and delivers it afterwards', () => {
    const { rd, wr, uart } = setup();
    wr(MCR, 0x10);
    uart.enqueueInput([0x41]);
    expect(rd(LSR)).toBe(0x60);
    wr(MCR, 0x00);
    expect(rd(LSR)).toBe(0x61);
    expect(rd(RBR)).toBe(0x41);
  });
});

describe('Uart16550 state', () => {
  const reset: Uart16550State = {
    dll: 0,
    dlm: 0,
    ier: 0,
    fcr: 0,
    lcr: 0,
    mcr: 0,
    lsr: 0x60,
    msr: 0xb0,
    scr: 0,
    thrEmptyPending: false,
    rxFifo: [],
    pendingInput: [],
  };
  const load = (patch: Partial<Uart16550State>) =>
    Uart16550.fromState({ ...reset, ...patch }, { setLevel: () => {} }, () => {});

  it('saves the reset state', () => {
    expect(setup().uart.saveState()).toEqual(reset);
  });

  it('round-trips through structured clone, FIFO and host input included', () => {
    const { rd, wr, uart } = setup();
    wr(LCR, 0x80);
    wr(DLL, 0x01);
    wr(LCR, 0x03);
    wr(FCR, 0x81);
    wr(IER, 0x05);
    wr(SCR, 0x42);
    uart.enqueueInput(Array.from({ length: 20 }, (_, i) => 0x40 + i));
    rd(RBR);
    const state = structuredClone(uart.saveState());
    expect(state.rxFifo).toHaveLength(16);
    expect(state.pendingInput).toHaveLength(3);
    const loaded = Uart16550.fromState(state, { setLevel: () => {} }, () => {});
    if (!loaded.ok) throw new Error(loaded.error.kind);
    expect(loaded.uart.saveState()).toEqual(state);
    expect(loaded.uart.read(RBR, 1)).toBe(0x41);
    expect(loaded.uart.read(LSR, 1)).toBe(0x61);
  });

  it('drives the IRQ line at once when the snapshot has an interrupt pending', () => {
    const levels: boolean[] = [];
    const loaded = Uart16550.fromState(
      { ...reset, ier: 0x01, mcr: 0x08, lsr: 0x61, rxFifo: [0x41] },
      { setLevel: (l) => levels.push(l) },
      () => {},
    );
    expect(loaded.ok).toBe(true);
    expect(levels).toEqual([true]);
  });

  it('rejects a receiver FIFO longer than the mode allows', () => {
    expect(load({ lsr: 0x61, rxFifo: [1, 2] })).toEqual({
      ok: false,
      error: { kind: 'fifo-too-long', length: 2, capacity: 1 },
    });
    const seventeen = Array.from({ length: 17 }, () => 0);
    expect(load({ fcr: 0x01, lsr: 0x61, rxFifo: seventeen })).toMatchObject({
      ok: false,
      error: { kind: 'fifo-too-long', length: 17, capacity: 16 },
    });
  });

  it('rejects registers that are not bytes or have reserved bits set', () => {
    expect(load({ lcr: 256 })).toMatchObject({ ok: false, error: { kind: 'bad-register', field: 'lcr' } });
    expect(load({ scr: 1.5 })).toMatchObject({ ok: false, error: { kind: 'bad-register', field: 'scr' } });
    expect(load({ ier: 0x10 })).toMatchObject({ ok: false, error: { kind: 'bad-register', field: 'ier' } });
    expect(load({ mcr: 0x20 })).toMatchObject({ ok: false, error: { kind: 'bad-register', field: 'mcr' } });
    expect(load({ fcr: 0x02 })).toMatchObject({ ok: false, error: { kind: 'bad-register', field: 'fcr' } });
    const notBool = { thrEmptyPending: 'yes' } as unknown as Partial<Uart16550State>;
    expect(load(notBool)).toMatchObject({
      ok: false,
      error: { kind: 'bad-register', field: 'thrEmptyPending' },
    });
    const notObject = null as unknown as Uart16550State;
    expect(Uart16550.fromState(notObject, { setLevel: () => {} }, () => {}).ok).toBe(false);
  });

  it('rejects non-byte FIFO and input contents', () => {
    expect(load({ lsr: 0x61, rxFifo: [300] })).toMatchObject({
      ok: false,
      error: { kind: 'bad-byte', field: 'rxFifo', index: 0, value: 300 },
    });
    expect(load({ pendingInput: [1, -1] })).toMatchObject({
      ok: false,
      error: { kind: 'bad-byte', field: 'pendingInput', index: 1 },
    });
  });

  it('rejects LSR and MSR that contradict the FIFO and MCR', () => {
    expect(load({ rxFifo: [0x41] })).toMatchObject({
      ok: false,
      error: { kind: 'inconsistent', field: 'lsr' },
    });
    expect(load({ lsr: 0x00 })).toMatchObject({ ok: false, error: { kind: 'inconsistent', field: 'lsr' } });
    expect(load({ msr: 0x00 })).toMatchObject({ ok: false, error: { kind: 'inconsistent', field: 'msr' } });
    expect(load({ mcr: 0x1a, msr: 0x93 }).ok).toBe(true);
  });
});
