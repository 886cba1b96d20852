// Bit instructions: BT/BTS/BTR/BTC (register offset and imm8 forms, register and memory
// bit bases), BSF/BSR including a zero source, BSWAP.

import type { Family } from '../gen-cases.ts';
import type { Rng } from '../lib/rng.ts';
import {
  CaseBuilder,
  destOf,
  hex,
  modrmBytes,
  osize,
  regName,
  value,
  type CaseSpec,
  type Size,
} from '../lib/x86.ts';

/** BT BTS BTR BTC: 0F A3/AB/B3/BB (r/m, r) and 0F BA /4../7 (r/m, imm8). */
const BIT_OPS: readonly [string, number, number][] = [
  ['BT', 0xa3, 4],
  ['BTS', 0xab, 5],
  ['BTR', 0xb3, 6],
  ['BTC', 0xbb, 7],
];

/** A bit offset: mostly in range, sometimes beyond the operand or negative. */
const bitOffset = (rng: Rng, size: Size): number => (rng.chance(0.6) ? rng.int(0, size - 1) : value(rng, 32));

function generateBt(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (const [name, opcode, sub] of BIT_OPS) {
    const mn = name.toLowerCase();
    for (const size of [16, 32] as const) {
      // Register bit base, register offset: the offset is taken modulo the operand size.
      for (let i = 0; i < 100; i++) {
        const b = new CaseBuilder(rng);
        const r = rng.int(0, 7);
        b.set(size, r, bitOffset(rng, size));
        const base = rng.int(0, 7);
        if (base !== r) b.set(size, base, value(rng, size));
        out.push(
          b.build(`${mn} ${regName(size, base)},${regName(size, r)}`, name, { size }, [
            ...osize(size),
            0x0f,
            opcode,
            0xc0 | (r << 3) | base,
          ]),
        );
      }
      // Memory bit base, register offset: a bit string. The signed offset selects the
      // word/dword at base + (offset >> 4 or 5) * size/8 (SDM Vol. 2A "BT—Bit Test",
      // Description); offsets in [-256, 255] from the buffer's middle stay in the buffer.
      for (let i = 0; i < 40; i++) {
        const b = new CaseBuilder(rng);
        const r = rng.pick([0, 1, 2, 3, 5, 6, 7]);
        const off = rng.int(-256, 255);
        b.set(size, r, size === 16 ? (off & 0xffff) | (rng.u32() << 16) : off);
        const op = b.mem32(size, 32);
        out.push(
          b.build(`${mn} ${op.text},${regName(size, r)}`, name, { size }, [
            ...osize(size),
            0x0f,
            opcode,
            ...modrmBytes(r, op),
          ]),
        );
      }
      // imm8 offset, register or memory base: only the low 4/5 bits of the immediate count.
      for (let i = 0; i < 85; i++) {
        const b = new CaseBuilder(rng);
        const op = b.rm(size, 0.3);
        b.put(size, op, value(rng, size));
        const imm = rng.chance(0.7) ? rng.int(0, size - 1) : rng.int(0, 255);
        out.push(
          b.build(`${mn} ${op.text},${hex(imm)}`, name, { size }, [
            ...osize(size),
            0x0f,
            0xba,
            ...modrmBytes(sub, op),
            imm,
          ]),
        );
      }
    }
  }
  return out;
}

function scanSource(rng: Rng, size: Size): number {
  const p = rng.u32() % 10;
  if (p < 2) return 0;
  if (p < 5) {
    let v = 1 << rng.int(0, size - 1);
    if (rng.chance(0.5)) v |= 1 << rng.int(0, size - 1);
    return v >>> 0;
  }
  return value(rng, size);
}

function generateBsf(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (const [name, opcode] of [
    ['BSF', 0xbc],
    ['BSR', 0xbd],
  ] as const) {
    for (const size of [16, 32] as const) {
      for (let i = 0; i < 200; i++) {
        const b = new CaseBuilder(rng);
        const d = rng.int(0, 7);
        b.set(size, d, value(rng, size));
        const op = b.rm(size, 0.25);
        const src = scanSource(rng, size);
        b.put(size, op, src);
        // When the source register is the destination itself, put() gave it `src` too.
        const zero = src === 0;
        out.push(
          b.build(
            `${name.toLowerCase()} ${regName(size, d)},${op.text}`,
            name,
            { size, sourceIsZero: zero, ...destOf(size, b.reg(size, d)) },
            [...osize(size), 0x0f, opcode, ...modrmBytes(d, op)],
          ),
        );
      }
    }
  }
  return out;
}

function generateBswap(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (let r = 0; r < 8; r++) {
    for (let i = 0; i < 30; i++) {
      const b = new CaseBuilder(rng);
      b.set(32, r, value(rng, 32));
      out.push(b.build(`bswap ${regName(32, r)}`, 'BSWAP', { size: 32 }, [0x0f, 0xc8 + r]));
    }
  }
  return out;
}

export const BIT_FAMILIES: Family[] = [
  {
    name: 'bt',
    description:
      'BT BTS BTR BTC: r/m,r (register base, and memory bit strings with signed offsets) and r/m,imm8; 16/32-bit',
    generate: generateBt,
  },
  {
    name: 'bsf',
    description: 'BSF/BSR 16/32-bit, register and memory source, including a zero source',
    generate: generateBsf,
  },
  { name: 'bswap', description: 'BSWAP r32 (0F C8+r)', generate: generateBswap },
];
