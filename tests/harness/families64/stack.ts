// 64-bit stack operations: PUSH/POP r64 (50+r, 58+r with REX.B) and r16 (66), PUSH imm8/imm32
// sign-extended to 64 bits and imm16 (66), PUSH/POP r/m64 (FF /6, 8F /0) and r/m16, PUSH RSP,
// POP RSP, POP [RSP+d] (the address uses RSP after the pop), LEAVE (C9, 66 C9), ENTER levels
// 0-3. The default operand size of these is 64 bits (SDM Vol. 1 §3.6.1, "d64"); RSP points
// into the buffer.

import type { Family64 } from '../record64.ts';
import type { Rng } from '../lib/rng.ts';
import { LAYOUT } from '../fixture-format.ts';
import {
  Builder64,
  RBP,
  RSP,
  encode,
  hx,
  le64,
  regName64,
  u64,
  value64,
  type CaseSpec64,
} from '../lib/x86-64.ts';

const MB = LAYOUT.memBase;

/** RSP somewhere in the buffer with room for `below` bytes under it and `above` over it. */
function stackAt(b: Builder64, below: number, above: number): number {
  const o = b.rng.int(below, LAYOUT.memSize - above);
  b.memory();
  b.set(64, RSP, BigInt(MB + o));
  return o;
}

function generateStack(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const size of [64, 16] as const) {
    const bytes = size / 8;
    const p66 = size === 16 ? [0x66] : [];
    for (let n = 0; n < 16; n++)
      for (let i = 0; i < 12; i++) {
        const b = new Builder64(rng);
        stackAt(b, bytes, bytes);
        if (n !== RSP) b.set(64, n, u64(rng));
        const rex = n >= 8 ? [0x41] : [];
        out.push(b.build(`push ${regName64(size, n)}`, 'PUSH', { size }, [...p66, ...rex, 0x50 + (n & 7)]));
        const c = new Builder64(rng);
        stackAt(c, 0, bytes);
        if (n !== RSP) c.set(64, n, u64(rng));
        out.push(c.build(`pop ${regName64(size, n)}`, 'POP', { size }, [...p66, ...rex, 0x58 + (n & 7)]));
      }
    for (let i = 0; i < 80; i++) {
      const b = new Builder64(rng);
      stackAt(b, bytes, 0);
      const imm8 = i % 2 === 0;
      const v = value64(rng, imm8 ? 8 : size === 16 ? 16 : 32);
      out.push(
        b.build(`push ${imm8 ? 'byte ' : ''}${hx(v)}${size === 16 ? ' (66)' : ''}`, 'PUSH', { size }, [
          ...p66,
          imm8 ? 0x6a : 0x68,
          ...le64(v, imm8 ? 1 : size === 16 ? 2 : 4),
        ]),
      );
    }
    for (let i = 0; i < 150; i++) {
      const b = new Builder64(rng);
      const push = i % 2 === 0;
      stackAt(b, push ? bytes : 0, push ? 0 : bytes);
      const op = i % 3 === 0 ? b.reg(size, b.pickReg(size)) : b.memOp(size);
      b.put(size, op, value64(rng, size));
      const code = encode({ pre: p66, opcode: [push ? 0xff : 0x8f], reg: push ? 6 : 0, op });
      out.push(
        b.build(
          `${push ? 'push' : 'pop'} ${op.text}${op.memOffset === undefined ? ' (r/m)' : ''}`,
          push ? 'PUSH' : 'POP',
          { size },
          code,
        ),
      );
    }
    // POP [RSP + d]: the effective address is computed after RSP is incremented.
    for (let i = 0; i < 40; i++) {
      const b = new Builder64(rng);
      const o = stackAt(b, 0, bytes);
      const dd = rng.int(-(o + bytes), LAYOUT.memSize - (o + bytes) - bytes);
      b.write(o, bytes, value64(rng, size));
      out.push(
        b.build(
          `pop ${size === 16 ? 'word' : 'qword'} [rsp${dd < 0 ? '-' : '+'}${hx(Math.abs(dd))}]`,
          'POP',
          { size },
          [...p66, 0x8f, 0x44, 0x24, dd & 0xff],
        ),
      );
    }
    // LEAVE: RSP = RBP, then POP RBP (BP with 66).
    for (let i = 0; i < 60; i++) {
      const b = new Builder64(rng);
      b.memory();
      b.set(64, RSP, u64(rng) & 0xffff_ffffn).set(64, RBP, BigInt(MB + rng.int(0, LAYOUT.memSize - bytes)));
      out.push(b.build(`leave${size === 16 ? ' (66)' : ''}`, 'LEAVE', { size }, [...p66, 0xc9]));
    }
  }
  // ENTER size, level (64-bit): push RBP; copy level-1 frame pointers from [RBP-8..]; push the
  // frame pointer; RSP -= size (SDM Vol. 2A ENTER, "Operation", 64-bit mode).
  for (let i = 0; i < 120; i++) {
    const b = new Builder64(rng);
    const level = i % 4;
    const size = rng.int(0, 8) * (rng.chance(0.5) ? 1 : 0);
    const need = 8 * (level + 1) + size;
    stackAt(b, need, 0);
    b.set(64, RBP, BigInt(MB + rng.int(8 * Math.max(level - 1, 0), LAYOUT.memSize - 8)));
    out.push(
      b.build(`enter ${hx(size)},${level}`, 'ENTER', { size: 64 }, [0xc8, size & 0xff, size >> 8, level]),
    );
  }
  return out;
}

export const STACK64_FAMILIES: Family64[] = [
  {
    name: 'stack64',
    description:
      '64-bit mode: PUSH/POP r64/r16 (R8-R15, RSP), imm8/imm32/imm16, r/m64 and r/m16, POP [RSP+d], LEAVE, ENTER levels 0-3',
    generate: generateStack,
  },
];
