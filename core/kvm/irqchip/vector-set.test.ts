import { describe, expect, it } from 'vitest';
import { VectorSet } from './vector-set.ts';

// SDM Vol. 3A 11.8.4, Figure 11-20: IRR/ISR/TMR are 256 bits in eight 32-bit registers at
// 16-byte strides (IRR at FEE0_0200H..FEE0_0270H); vector v is bit v mod 32 of register v / 32.
describe('VectorSet', () => {
  const IRR = 0x200;

  it('places vector v in register v/32, bit v%32', () => {
    const regs = new Uint32Array(256);
    const irr = new VectorSet(regs, IRR);
    irr.set(0x31);
    expect(regs[(0x200 + 0x10) >>> 2]).toBe(1 << 17);
    irr.set(0xff);
    expect(regs[0x270 >>> 2]).toBe(0x80000000);
    expect(irr.test(0x31)).toBe(true);
    expect(irr.test(0x30)).toBe(false);
    irr.clear(0x31);
    expect(regs[0x210 >>> 2]).toBe(0);
  });

  it('finds the highest vector: the highest priority class wins (11.8.3)', () => {
    const irr = new VectorSet(new Uint32Array(256), IRR);
    expect(irr.highest()).toBe(-1);
    irr.set(0x45);
    irr.set(0x31);
    irr.set(0x4f);
    expect(irr.highest()).toBe(0x4f);
    irr.clear(0x4f);
    expect(irr.highest()).toBe(0x45);
    expect(irr.count()).toBe(2);
    irr.clearAll();
    expect(irr.count()).toBe(0);
  });
});
