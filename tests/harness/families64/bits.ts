// 64-bit bit instructions: BT/BTS/BTR/BTC (0F A3/AB/B3/BB and 0F BA /4../7) with register and
// memory bit bases at 16/32/64 bits, BSF/BSR (0F BC/BD) with zero sources, BSWAP (0F C8+r)
// at 32/64 bits with R8-R15.

import type { Family64 } from '../record64.ts';
import type { Rng } from '../lib/rng.ts';
import { LAYOUT } from '../fixture-format.ts';
import { builder } from './alu.ts';
import {
  Builder64,
  destOf64,
  encode,
  grouped,
  hx,
  regName64,
  sizePre,
  u64,
  value64,
  type CaseSpec64,
  type Size64,
} from '../lib/x86-64.ts';

const BIT_OPS: readonly [string, number, number][] = [
  ['BT', 0xa3, 4],
  ['BTS', 0xab, 5],
  ['BTR', 0xb3, 6],
  ['BTC', 0xbb, 7],
];

function generateBt(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const [name, opcode, sub] of BIT_OPS)
    for (const size of [16, 32, 64] as Size64[]) {
      const { pre, w } = sizePre(size);
      const bytes = size / 8;
      const mn = name.toLowerCase();
      // Register base, register offset (taken modulo the operand size).
      out.push(
        ...grouped(rng, `bt/${name}/${size}/rr`, 15, 12, (s) => {
          const b = builder(rng, s, size);
          const r = b.pickReg(size);
          b.set(size, r, rng.chance(0.6) ? BigInt(rng.int(0, size - 1)) : value64(rng, size));
          const base = b.reg(size, b.pickReg(size));
          if (base.n !== r) b.put(size, base, value64(rng, size));
          return b.build(
            `${mn} ${base.text},${regName64(size, r)}`,
            name,
            { size, ...destOf64(base) },
            encode({ pre, w, opcode: [0x0f, opcode], reg: r, op: base }),
          );
        }),
      );
      // Memory bit string, register offset: the signed offset selects an operand-size word
      // at EA + size/8 * floor(offset / size) (SDM Vol. 2A BT, "Description").
      out.push(
        ...grouped(rng, `bt/${name}/${size}/mr`, 25, 12, (s) => {
          const b = builder(rng, s, size);
          const r = b.pickReg(size);
          b.reserve(r);
          const o = s.int(0, 64 - bytes);
          const op = b.memOp(size, o);
          const k = rng.int(-Math.floor(o / bytes), Math.floor((64 - bytes - o) / bytes));
          const off = BigInt(k * size + rng.int(0, size - 1));
          b.set(size, r, off);
          if (size === 16 && off < 0n) b.set(16, r, off & 0xffffn);
          return b.build(
            `${mn} ${op.text},${regName64(size, r)}`,
            name,
            { size },
            encode({ pre, w, opcode: [0x0f, opcode], reg: r, op }),
          );
        }),
      );
      // imm8 offset, register or memory base: the offset is taken modulo the operand size.
      out.push(
        ...grouped(rng, `bt/${name}/${size}/imm`, 30, 12, (s) => {
          const b = builder(rng, s, size);
          const op = b.rm(size, 0.4);
          b.put(size, op, value64(rng, size));
          const imm = s.chance(0.7) ? s.int(0, size - 1) : s.int(0, 255);
          return b.build(
            `${mn} ${op.text},${hx(imm)}`,
            name,
            { size, ...destOf64(op) },
            encode({ pre, w, opcode: [0x0f, 0xba], reg: sub, op, imm: [imm] }),
          );
        }),
      );
    }
  return out;
}

/**
 * BT* with a memory bit base and a register offset far outside the operand: the access is at
 * EA + size/8 * floor(offset / size) with the offset signed and as wide as the operand (up to
 * ±2^63 bits), so the base effective address itself may be far away, even non-canonical,
 * while the accessed address is in the buffer (SDM Vol. 2A BT, "Description").
 */
function generateBtFar(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const [name, opcode] of BIT_OPS)
    for (const size of [16, 32, 64] as Size64[]) {
      const { pre, w } = sizePre(size);
      const bytes = size / 8;
      for (let i = 0; i < 50; i++) {
        const b = new Builder64(rng);
        const r = b.pickReg(size);
        b.reserve(r);
        const o = rng.int(0, 64 - bytes);
        const span = size === 16 ? 1 << 11 : size === 32 ? 1 << 26 : 2 ** 52;
        const k = BigInt(Math.floor((rng.u32() / 2 ** 32) * 2 * span - span));
        const off = k * BigInt(size) + BigInt(rng.int(0, size - 1));
        const op = b.memOp(size, o, 0, BigInt.asUintN(64, BigInt(LAYOUT.memBase + o) - k * BigInt(bytes)));
        op.memOffset = o;
        b.set(size, r, BigInt.asUintN(size, off));
        const text = `${name.toLowerCase()} ${op.text},${regName64(size, r)} (offset ${off})`;
        out.push(b.build(text, name, { size }, encode({ pre, w, opcode: [0x0f, opcode], reg: r, op })));
      }
    }
  return out;
}

function generateBsf(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const [name, opcode] of [
    ['BSF', 0xbc],
    ['BSR', 0xbd],
  ] as const)
    for (const size of [16, 32, 64] as Size64[])
      out.push(
        ...grouped(rng, `bsf/${name}/${size}`, 40, 12, (s) => {
          const b = builder(rng, s, size);
          const r = b.pickReg(size, true);
          b.set(size, r, value64(rng, size));
          const op = b.rm(size, 0.3);
          const roll = rng.int(0, 3);
          const v = roll === 0 ? 0n : roll === 1 ? 1n << BigInt(rng.int(0, size - 1)) : value64(rng, size);
          b.put(size, op, v);
          const zero = op.n === r ? false : v === 0n;
          const src = op.n === r ? (b.regs[r]! & ((1n << BigInt(size)) - 1n)) === 0n : zero;
          return b.build(
            `${name.toLowerCase()} ${regName64(size, r)},${op.text}`,
            name,
            { size, sourceIsZero: src, ...destOf64(b.reg(size, r)) },
            encode({ ...sizePre(size), opcode: [0x0f, opcode], reg: r, op }),
          );
        }),
      );
  return out;
}

function generateBswap(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const size of [32, 64] as Size64[])
    for (let n = 0; n < 16; n++)
      for (let i = 0; i < 24; i++) {
        const b = new Builder64(rng);
        b.set(64, n, u64(rng));
        const rex = (size === 64 ? 8 : 0) | (n >= 8 ? 1 : 0);
        out.push(
          b.build(`bswap ${regName64(size, n)}`, 'BSWAP', { size, dest: destOf64(b.reg(size, n)).dest }, [
            ...(rex ? [0x40 | rex] : []),
            0x0f,
            0xc8 + (n & 7),
          ]),
        );
      }
  return out;
}

export const BIT64_FAMILIES: Family64[] = [
  {
    name: 'bt64',
    description:
      '64-bit mode: BT BTS BTR BTC with register and memory bases, register and imm8 offsets, 16/32/64-bit',
    generate: generateBt,
  },
  {
    name: 'btfar64',
    description:
      '64-bit mode: BT BTS BTR BTC on a memory bit string with register offsets far outside the operand (base EA far away, even non-canonical)',
    generate: generateBtFar,
  },
  {
    name: 'bsf64',
    description: '64-bit mode: BSF/BSR at 16/32/64 bits including zero sources',
    generate: generateBsf,
  },
  {
    name: 'bswap64',
    description: '64-bit mode: BSWAP r32/r64 for all 16 registers',
    generate: generateBswap,
  },
];
