// Shifts and rotates (group 2: C0/C1 imm8, D0/D1 by 1, D2/D3 by CL) and the double shifts
// SHLD/SHRD. Counts 0..40 through CL exercise the 5-bit count mask (SDM Vol. 2B
// "SAL/SAR/SHL/SHR—Shift": "The count is masked to 5 bits") and the 8/16-bit
// rotate-through-carry reduction modulo 9/17 (Vol. 2B "RCL/RCR/ROL/ROR—Rotate", Operation).

import type { Family } from '../gen-cases.ts';
import type { Rng } from '../lib/rng.ts';
import {
  CaseBuilder,
  ECX,
  SIZES,
  destOf,
  hex,
  modrmBytes,
  osize,
  regName,
  signBit,
  value,
  type CaseSpec,
  type Size,
} from '../lib/x86.ts';

/** Group 2 /n. /6 is an undocumented alias of /4 and is left out. */
const GROUP2: readonly [string, number][] = [
  ['ROL', 0],
  ['ROR', 1],
  ['RCL', 2],
  ['RCR', 3],
  ['SHL', 4],
  ['SHR', 5],
  ['SAR', 7],
];
const P_MEM = 0.2;
/** CL values past 40 whose low 5 bits are interesting (32 = 0, 33 = 1, 0xff = 31...). */
const HIGH_COUNTS = [0x20, 0x21, 0x3f, 0x40, 0x41, 0x7f, 0x80, 0x81, 0x9f, 0xe0, 0xff];

/** Values whose top or bottom bits make OF/CF interesting, besides the edges. */
function shiftValue(rng: Rng, size: Size): number {
  if (rng.chance(0.1)) return signBit(size);
  if (rng.chance(0.1)) return (signBit(size) | (rng.u32() & (signBit(size) - 1))) >>> 0;
  return value(rng, size);
}

function group2Case(
  rng: Rng,
  name: string,
  sub: number,
  size: Size,
  how: 'one' | 'cl' | 'imm',
  count: number,
): CaseSpec {
  const b = new CaseBuilder(rng);
  if (how === 'cl') b.set(8, ECX, count);
  // A register operand may be CL itself (count = value): that is a legal, if odd, case.
  const op = b.rm(size, P_MEM);
  if (!(how === 'cl' && op.memOffset === undefined && op.rm === ECX)) b.put(size, op, shiftValue(rng, size));
  const wide = size === 8 ? 0 : 1;
  const ctx = { size, count, ...destOf(size, op) };
  const mn = name.toLowerCase();
  switch (how) {
    case 'one':
      return b.build(`${mn} ${op.text},1`, name, ctx, [...osize(size), 0xd0 + wide, ...modrmBytes(sub, op)]);
    case 'cl':
      return b.build(`${mn} ${op.text},cl`, name, ctx, [...osize(size), 0xd2 + wide, ...modrmBytes(sub, op)]);
    case 'imm':
      return b.build(`${mn} ${op.text},${hex(count)}`, name, ctx, [
        ...osize(size),
        0xc0 + wide,
        ...modrmBytes(sub, op),
        count,
      ]);
  }
}

function generateShift(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (const [name, sub] of GROUP2) {
    for (const size of SIZES) {
      for (let i = 0; i < 40; i++) out.push(group2Case(rng, name, sub, size, 'one', 1));
      for (let count = 0; count <= 40; count++)
        for (let rep = 0; rep < 3; rep++) out.push(group2Case(rng, name, sub, size, 'cl', count));
      for (const count of HIGH_COUNTS) out.push(group2Case(rng, name, sub, size, 'cl', count));
      for (let i = 0; i < 30; i++)
        out.push(group2Case(rng, name, sub, size, 'imm', rng.chance(0.8) ? rng.int(0, 40) : rng.int(0, 255)));
    }
  }
  return out;
}

function doubleShiftCase(rng: Rng, left: boolean, size: 16 | 32, how: 'cl' | 'imm', count: number): CaseSpec {
  const b = new CaseBuilder(rng);
  if (how === 'cl') b.set(8, ECX, count);
  // The source register; CL may be the source's low byte only if the source is ECX (then count = CL).
  const src = rng.pick(how === 'cl' ? [0, 2, 3, 5, 6, 7] : [0, 1, 2, 3, 5, 6, 7]);
  b.set(size, src, value(rng, size));
  const op = b.rm(size, P_MEM, how === 'cl' ? [0, 2, 3, 5, 6, 7] : [0, 1, 2, 3, 4, 5, 6, 7]);
  b.put(size, op, value(rng, size));
  const name = left ? 'SHLD' : 'SHRD';
  const base = left ? 0xa4 : 0xac;
  const ctx = { size, count, ...destOf(size, op) };
  const text = `${name.toLowerCase()} ${op.text},${regName(size, src)},${how === 'cl' ? 'cl' : hex(count)}`;
  const code = [
    ...osize(size),
    0x0f,
    base + (how === 'cl' ? 1 : 0),
    ...modrmBytes(src, op),
    ...(how === 'imm' ? [count] : []),
  ];
  return b.build(text, name, ctx, code);
}

function generateDoubleShift(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (const left of [true, false]) {
    for (const size of [16, 32] as const) {
      for (let count = 0; count <= 40; count++)
        for (let rep = 0; rep < 6; rep++) out.push(doubleShiftCase(rng, left, size, 'cl', count));
      for (const count of HIGH_COUNTS) out.push(doubleShiftCase(rng, left, size, 'cl', count));
      for (let i = 0; i < 60; i++)
        out.push(doubleShiftCase(rng, left, size, 'imm', rng.chance(0.8) ? rng.int(0, 40) : rng.int(0, 255)));
    }
  }
  return out;
}

export const SHIFT_FAMILIES: Family[] = [
  {
    name: 'shift',
    description:
      'ROL ROR RCL RCR SHL SHR SAR by 1, by CL (0..40 and high CL values) and by imm8; 8/16/32-bit',
    generate: generateShift,
  },
  {
    name: 'shld',
    description: 'SHLD/SHRD by CL (0..40) and imm8, 16/32-bit, register and memory destination',
    generate: generateDoubleShift,
  },
];
