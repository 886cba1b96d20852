// 64-bit multiply and divide: MUL/IMUL one-operand (F6/F7 /4 /5), IMUL r, r/m (0F AF),
// IMUL r, r/m, imm8/imm32 (6B/69), DIV/IDIV (F6/F7 /6 /7) at 8/16/32/64 bits, with
// quotients that fit, on and just past the boundary, overflow and divisor 0 (#DE).

import type { Family64 } from '../record64.ts';
import type { Rng } from '../lib/rng.ts';
import { builder, immBytes } from './alu.ts';
import {
  RAX,
  RDX,
  SIZES64,
  destOf64,
  encode,
  grouped,
  hx,
  le64,
  mask64,
  regName64,
  sizePre,
  sx64,
  u64,
  value64,
  type CaseSpec64,
  type Size64,
} from '../lib/x86-64.ts';

const P_MEM = 0.3;

function generateMul(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const size of SIZES64) {
    const { pre, w } = sizePre(size);
    for (const [name, sub] of [
      ['MUL', 4],
      ['IMUL', 5],
    ] as const)
      out.push(
        ...grouped(rng, `mul/${name}/${size}`, 40, 10, (s) => {
          const b = builder(rng, s, size).reserve(RAX, RDX);
          const small = rng.chance(0.3);
          b.set(size, RAX, small ? sx64(BigInt(rng.int(-300, 300)), 64) & mask64(size) : value64(rng, size));
          const op = b.rm(
            size,
            P_MEM,
            b.pool(size).filter((n) => n !== RAX && n !== RDX && n !== 16),
          );
          b.put(size, op, small ? sx64(BigInt(rng.int(-300, 300)), 64) & mask64(size) : value64(rng, size));
          return b.build(
            `${name.toLowerCase()} ${op.text}`,
            name,
            { size },
            encode({ pre, w, opcode: [size === 8 ? 0xf6 : 0xf7], reg: sub, op }),
          );
        }),
      );
    if (size === 8) continue;
    out.push(
      ...grouped(rng, `imul2/${size}`, 40, 10, (s) => {
        const b = builder(rng, s, size);
        const r = b.pickReg(size, true);
        b.set(size, r, value64(rng, size));
        const op = b.rm(size, P_MEM);
        b.put(size, op, value64(rng, size));
        return b.build(
          `imul ${regName64(size, r)},${op.text}`,
          'IMUL',
          { size, dest: destOf64(b.reg(size, r)).dest },
          encode({ pre, w, opcode: [0x0f, 0xaf], reg: r, op }),
        );
      }),
    );
    for (const opcode of [0x6b, 0x69])
      out.push(
        ...grouped(rng, `imul3/${size}/${opcode}`, 40, 10, (s) => {
          const b = builder(rng, s, size);
          const r = b.pickReg(size, true);
          const op = b.rm(size, P_MEM);
          b.put(size, op, value64(rng, size));
          const len = opcode === 0x6b ? 1 : immBytes(size);
          const imm = value64(s, 64) & mask64(len === 1 ? 8 : len === 2 ? 16 : 32);
          const text = `imul ${regName64(size, r)},${op.text},${hx(sx64(imm, len === 1 ? 8 : len === 2 ? 16 : 32) & mask64(size))}`;
          return b.build(
            text,
            'IMUL',
            { size, dest: destOf64(b.reg(size, r)).dest },
            encode({ pre, w, opcode: [opcode], reg: r, op, imm: le64(imm, len) }),
          );
        }),
      );
  }
  return out;
}

type DivKind = 'fit' | 'edge' | 'over' | 'zero' | 'random';

/** A dividend, divisor pair of the kind asked for (2*size-bit dividend, size-bit divisor). */
function divOperands(rng: Rng, signed: boolean, size: Size64, kind: DivKind): [bigint, bigint] {
  const bits = BigInt(size);
  const wide = mask64(size) | (mask64(size) << bits);
  let d = kind === 'zero' ? 0n : value64(rng, size) || 1n;
  if (rng.chance(0.3) && kind !== 'zero') d = BigInt(rng.int(1, 1000));
  if (kind === 'random')
    return [((rng.chance(0.5) ? 0n : u64(rng) & mask64(size)) << bits) | (u64(rng) & mask64(size)), d];
  if (!signed) {
    const lim = 1n << bits;
    let q =
      kind === 'fit'
        ? u64(rng) & mask64(size)
        : kind === 'edge'
          ? rng.chance(0.5)
            ? lim - 1n
            : lim
          : lim + (u64(rng) & mask64(size));
    if (kind === 'zero') q = u64(rng) & mask64(size);
    const dv = d === 0n ? 1n : d;
    const r = (u64(rng) & mask64(size)) % dv;
    return [(q * dv + r) & wide, d];
  }
  const ds = BigInt.asIntN(size, d) || 1n;
  const max = (1n << (bits - 1n)) - 1n;
  const min = -(1n << (bits - 1n));
  let q: bigint;
  if (kind === 'fit' || kind === 'zero') q = BigInt.asIntN(size, u64(rng));
  else if (kind === 'edge') q = rng.pick([max, min, max + 1n, min - 1n]);
  else q = (max + 1n + (u64(rng) & mask64(size))) * (rng.chance(0.5) ? 1n : -1n);
  const absd = ds < 0n ? -ds : ds;
  const r = (u64(rng) & mask64(size)) % absd;
  const prod = q * ds;
  const n = prod < 0n ? prod - r : prod + r;
  return [BigInt.asUintN(2 * size, n), d];
}

function generateDiv(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  const kinds: DivKind[] = ['fit', 'fit', 'edge', 'over', 'zero', 'random'];
  for (const size of SIZES64)
    for (const [name, sub] of [
      ['DIV', 6],
      ['IDIV', 7],
    ] as const)
      out.push(
        ...grouped(rng, `div/${name}/${size}`, 60, 10, (s) => {
          const b = builder(rng, s, size).reserve(RAX, RDX);
          const [n, d] = divOperands(rng, name === 'IDIV', size, rng.pick(kinds));
          if (size === 8) b.set(16, RAX, n);
          else b.set(size, RAX, n & mask64(size)).set(size, RDX, n >> BigInt(size));
          const op = b.rm(
            size,
            P_MEM,
            b.pool(size).filter((r) => r !== RAX && r !== RDX && r !== 16),
          );
          b.put(size, op, d);
          return b.build(
            `${name.toLowerCase()} ${op.text}`,
            name,
            { size },
            encode({ ...sizePre(size), opcode: [size === 8 ? 0xf6 : 0xf7], reg: sub, op }),
          );
        }),
      );
  return out;
}

export const MULDIV64_FAMILIES: Family64[] = [
  {
    name: 'mul64',
    description: '64-bit mode: MUL/IMUL one-operand, IMUL 0F AF, 6B, 69 at 8/16/32/64 bits',
    generate: generateMul,
  },
  {
    name: 'div64',
    description:
      '64-bit mode: DIV/IDIV at 8/16/32/64 bits: fitting quotients, boundary, overflow and divisor 0 (#DE)',
    generate: generateDiv,
  },
];
