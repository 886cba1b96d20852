// Expected values come from Linux drivers/input/serio/i8042.h (status and CTR bits,
// I8042_RET_CTL_TEST = 0x55), the probe sequence of i8042.c (self test, CTR read/write,
// AUX loopback and A7/A8 bit test, MUX probe), the IBM PS/2 keyboard and mouse command
// sets (ACK FA, BAT AA, resend FE, keyboard ID AB 83 which the controller translates to
// AB 41, mouse ID 00 and status bytes) and QEMU hw/input/pckbd.c's power-on state.
import { describe, expect, it } from 'vitest';
import { I8042, type I8042State } from './i8042.ts';

function setup() {
  const irq1: boolean[] = [];
  const irq12: boolean[] = [];
  const events: string[] = [];
  const kbc = new I8042(
    { setLevel: (l) => irq1.push(l) },
    { setLevel: (l) => irq12.push(l) },
    {
      onReset: () => events.push('reset'),
      onA20: (on) => events.push(`a20:${on}`),
    },
  );
  const status = () => kbc.commandPort.read(0, 1);
  const data = () => kbc.dataPort.read(0, 1);
  const cmd = (v: number) => kbc.commandPort.write(0, 1, v);
  const put = (v: number) => kbc.dataPort.write(0, 1, v);
  /** Everything in the output buffer, as Linux's i8042_flush drains it. */
  const drain = () => {
    const out: number[] = [];
    while (status() & 0x01 && out.length < 64) out.push(data());
    return out;
  };
  return { kbc, irq1, irq12, events, status, data, cmd, put, drain };
}

describe('I8042 controller', () => {
  it('powers on with an empty buffer, the key lock open and interrupts enabled', () => {
    const { status, cmd, drain } = setup();
    expect(status()).toBe(0x18); // CMDDAT | KEYLOCK
    cmd(0x20);
    expect(drain()).toEqual([0x03]); // CTR: KBDINT | AUXINT
  });

  it('passes the self test with 0x55 and sets the system flag', () => {
    const { status, cmd, data } = setup();
    cmd(0xaa);
    expect(status() & 0x01).toBe(0x01);
    expect(data()).toBe(0x55);
    expect(status() & 0x05).toBe(0x04); // OBF clear, system flag set
  });

  it('reads back the CTR it was given and tracks command/data in the status', () => {
    const { status, cmd, put, drain } = setup();
    cmd(0x60);
    put(0x47);
    expect(status() & 0x08).toBe(0); // last write was data
    cmd(0x20);
    expect(drain()).toEqual([0x47]);
    expect(status() & 0x08).toBe(0x08);
  });

  it('answers both interface tests with 0x00 and toggles AUXDIS with A7/A8', () => {
    const { cmd, drain } = setup();
    cmd(0xab);
    cmd(0xa9);
    expect(drain()).toEqual([0x00, 0x00]);
    cmd(0xa7);
    cmd(0x20);
    expect(drain()[0] & 0x20).toBe(0x20);
    cmd(0xa8);
    cmd(0x20);
    expect(drain()[0] & 0x20).toBe(0);
  });

  it('loops AUX bytes back as mouse data on IRQ 12, and is no MUX controller', () => {
    const { cmd, put, status, data, irq12 } = setup();
    cmd(0xd3);
    put(0x5a);
    expect(status() & 0x21).toBe(0x21); // OBF | AUXDATA
    expect(irq12).toEqual([true]);
    expect(data()).toBe(0x5a);
    expect(irq12).toEqual([true, false]);
    // i8042_check_mux: a plain controller returns 0xf0, 0x56, 0xa4 unchanged.
    for (const v of [0xf0, 0x56, 0xa4]) {
      cmd(0xd3);
      put(v);
      expect(data()).toBe(v);
    }
  });

  it('resets the system on command 0xFE and on output port bit 0 written as 0', () => {
    const { cmd, put, events } = setup();
    cmd(0xfe);
    expect(events).toEqual(['reset']);
    cmd(0xff); // pulses no bits
    cmd(0xd1);
    put(0xcd); // A20 off, reset line still high
    cmd(0xd1);
    put(0xce); // A20 on, bit 0 low
    expect(events).toEqual(['reset', 'a20:false', 'a20:true', 'reset']);
  });

  it('reads the output port with A20 and reset high', () => {
    const { cmd, drain } = setup();
    cmd(0xd0);
    expect(drain()[0] & 0x03).toBe(0x03);
  });

  it('returns the last byte again when the buffer is empty', () => {
    const { cmd, put, data, status } = setup();
    cmd(0xd2);
    put(0x42);
    expect(data()).toBe(0x42);
    expect(status() & 0x01).toBe(0);
    expect(data()).toBe(0x42);
  });

  it('keeps the output register plus 16 queued replies and never throws on any command or data', () => {
    const { kbc, cmd, put, drain } = setup();
    for (let i = 0; i < 40; i++) {
      cmd(0xd2);
      put(i);
    }
    expect(drain()).toEqual(Array.from({ length: 17 }, (_, i) => i));
    for (let v = 0; v < 256; v++) {
      if (v === 0xfe || (v >= 0xf0 && (v & 1) === 0)) continue;
      cmd(v);
      put(v);
      kbc.dataPort.read(0, 1);
    }
    expect(drain().length).toBeLessThanOrEqual(64);
  });
});

describe('I8042 keyboard', () => {
  it('acknowledges a reset with FA then the BAT result AA, each raising IRQ 1', () => {
    const { put, data, irq1 } = setup();
    put(0xff);
    expect(irq1).toEqual([true]);
    expect(data()).toBe(0xfa);
    expect(irq1).toEqual([true, false, true]);
    expect(data()).toBe(0xaa);
    expect(irq1).toEqual([true, false, true, false]);
  });

  it('identifies as an MF2 keyboard, translated when CTR.XLATE is set', () => {
    const { put, cmd, drain } = setup();
    put(0xf2);
    expect(drain()).toEqual([0xfa, 0xab, 0x83]);
    cmd(0x60);
    put(0x43); // XLATE | SYS | KBDINT
    put(0xf2);
    expect(drain()).toEqual([0xfa, 0xab, 0x41]);
  });

  it('handles echo, LEDs, typematic, scan-code sets, enable/disable and bad commands', () => {
    const { put, drain } = setup();
    put(0xee);
    expect(drain()).toEqual([0xee]);
    put(0xed);
    put(0x07);
    put(0xf3);
    put(0x20);
    expect(drain()).toEqual([0xfa, 0xfa, 0xfa, 0xfa]);
    put(0xf0);
    put(0x00);
    expect(drain()).toEqual([0xfa, 0xfa, 0x02]);
    put(0xf5);
    put(0xf4);
    expect(drain()).toEqual([0xfa, 0xfa]);
    put(0x01); // not a command
    expect(drain()).toEqual([0xfe]);
  });

  it('holds keyboard bytes while the interface is disabled; controller replies still pass', () => {
    const { put, cmd, drain, irq1 } = setup();
    cmd(0xad);
    put(0xff);
    cmd(0x20);
    expect(drain()).toEqual([0x13]); // KBDDIS | AUXINT | KBDINT
    cmd(0xae);
    expect(drain()).toEqual([0xfa, 0xaa]);
    cmd(0x60);
    put(0x00); // no interrupts
    irq1.length = 0;
    put(0xee);
    expect(drain()).toEqual([0xee]);
    expect(irq1).toEqual([]);
  });
});

describe('I8042 mouse', () => {
  it('answers through D4 as a standard PS/2 mouse, on the AUX side', () => {
    const { cmd, put, status, data, drain } = setup();
    cmd(0xd4);
    put(0xff);
    expect(status() & 0x20).toBe(0x20);
    expect([data(), data(), data()]).toEqual([0xfa, 0xaa, 0x00]); // ACK, BAT, ID
    cmd(0xd4);
    put(0xf2);
    expect(drain()).toEqual([0xfa, 0x00]);
    cmd(0xd4);
    put(0xe9); // status: stream, disabled, 1:1, resolution 2, 100 samples/s
    expect(drain()).toEqual([0xfa, 0x00, 0x02, 0x64]);
    cmd(0xd4);
    put(0xf4);
    cmd(0xd4);
    put(0xe8);
    cmd(0xd4);
    put(0x03);
    cmd(0xd4);
    put(0xe9);
    expect(drain()).toEqual([0xfa, 0xfa, 0xfa, 0xfa, 0x20, 0x03, 0x64]);
  });

  it('echoes in wrap mode until reset-wrap', () => {
    const { cmd, put, drain } = setup();
    for (const v of [0xee, 0x12, 0xec]) {
      cmd(0xd4);
      put(v);
    }
    expect(drain()).toEqual([0xfa, 0x12, 0xfa]);
  });
});

describe('I8042 state', () => {
  it('round-trips its state and rejects malformed snapshots', () => {
    const a = setup();
    a.put(0xff);
    a.cmd(0x60);
    a.put(0x47);
    const state = structuredClone(a.kbc.saveState());
    const restored = I8042.fromState(
      state,
      { setLevel: () => {} },
      { setLevel: () => {} },
      { onReset: () => {} },
    );
    expect(restored.ok).toBe(true);
    if (!restored.ok) return;
    expect(restored.i8042.saveState()).toEqual(state);
    expect(restored.i8042.dataPort.read(0, 1)).toBe(0xfa);
    const bad: I8042State = structuredClone(state);
    bad.keyboard.queue = new Array(17).fill(0);
    expect(
      I8042.fromState(bad, { setLevel: () => {} }, { setLevel: () => {} }, { onReset: () => {} }),
    ).toEqual({
      ok: false,
      error: { kind: 'bad-field', field: 'keyboard', value: bad.keyboard },
    });
  });
});
