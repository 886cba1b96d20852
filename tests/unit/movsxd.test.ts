// MOVSXD (SDM Vol. 2B MOVSX/MOVSXD): REX.W sign-extends the doubleword; without REX.W it is a
// 32-bit move that zero-extends into the 64-bit register.
import { describe, expect, it } from 'vitest';
import { run64 } from './integer-cases.ts';

describe('MOVSXD in 64-bit mode', () => {
  it('movsxd rax, ecx sign-extends 0x80000000', () => {
    const r = run64('48 63 c1', { rax: 0x1111111111111111n, rcx: 0x2222222280000000n });
    expect(r.regs.rax).toBe(0xffffffff80000000n);
  });
  it('movsxd rax, ecx keeps a positive doubleword positive', () => {
    const r = run64('48 63 c1', { rax: -1n & 0xffffffffffffffffn, rcx: 0xffffffff7fffffffn });
    expect(r.regs.rax).toBe(0x7fffffffn);
  });
  it('without REX.W it moves 32 bits and zero-extends', () => {
    const r = run64('63 c1', { rax: 0x1111111111111111n, rcx: 0x2222222280000000n });
    expect(r.regs.rax).toBe(0x80000000n);
  });
});
