// 64-bit shifts and rotates: ROL ROR RCL RCR SHL SHR SAR (group 2: D0/D1 by 1, D2/D3 by CL,
// C0/C1 by imm8) at 8/16/32/64 bits, counts 0..70 and high CL values (masked to 6 bits for
// 64-bit operands, 5 otherwise); SHLD/SHRD (0F A4/A5/AC/AD) at 16/32/64 bits.

import type { Family64 } from '../record64.ts';
import type { Rng } from '../lib/rng.ts';
import { builder } from './alu.ts';
import {
  RCX,
  SIZES64,
  destOf64,
  encode,
  grouped,
  hx,
  regName64,
  sizePre,
  value64,
  type CaseSpec64,
  type Size64,
} from '../lib/x86-64.ts';

const SHIFT_OPS: readonly [string, number][] = [
  ['ROL', 0],
  ['ROR', 1],
  ['RCL', 2],
  ['RCR', 3],
  ['SHL', 4],
  ['SHR', 5],
  ['SAR', 7],
];
const P_MEM = 0.25;
const count = (rng: Rng): number => (rng.chance(0.85) ? rng.int(0, 70) : rng.int(0, 255));

function generateShift(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const [name, sub] of SHIFT_OPS)
    for (const size of SIZES64) {
      const { pre, w } = sizePre(size);
      const wide = size === 8 ? 0 : 1;
      for (const form of ['1', 'cl', 'imm'] as const)
        out.push(
          ...grouped(
            rng,
            `shift/${name}/${size}/${form}`,
            form === 'cl' ? 12 : form === 'imm' ? 40 : 6,
            12,
            (s) => {
              const b = builder(rng, s, size);
              if (form === 'cl') b.reserve(RCX);
              const op = b.rm(size, P_MEM, form === 'cl' ? b.pool(size).filter((n) => n !== RCX) : undefined);
              b.put(size, op, value64(rng, size));
              const ctx = { size, ...destOf64(op) };
              if (form === '1')
                return b.build(
                  `${name.toLowerCase()} ${op.text},1`,
                  name,
                  { ...ctx, count: 1 },
                  encode({ pre, w, opcode: [0xd0 + wide], reg: sub, op }),
                );
              if (form === 'cl') {
                const c = count(rng);
                b.set(8, RCX, BigInt(c));
                return b.build(
                  `${name.toLowerCase()} ${op.text},cl`,
                  name,
                  { ...ctx, count: c },
                  encode({ pre, w, opcode: [0xd2 + wide], reg: sub, op }),
                );
              }
              const c = count(s);
              return b.build(
                `${name.toLowerCase()} ${op.text},${hx(c)}`,
                name,
                { ...ctx, count: c },
                encode({ pre, w, opcode: [0xc0 + wide], reg: sub, op, imm: [c] }),
              );
            },
          ),
        );
    }
  return out;
}

function generateShld(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const [name, base] of [
    ['SHLD', 0xa4],
    ['SHRD', 0xac],
  ] as const)
    for (const size of [16, 32, 64] as Size64[]) {
      const { pre, w } = sizePre(size);
      for (const form of ['cl', 'imm'] as const)
        out.push(
          ...grouped(rng, `shld/${name}/${size}/${form}`, form === 'cl' ? 20 : 50, 12, (s) => {
            const b = builder(rng, s, size);
            if (form === 'cl') b.reserve(RCX);
            const r = b.pickReg(size);
            b.set(size, r, value64(rng, size));
            const op = b.rm(
              size,
              P_MEM,
              b.pool(size).filter((n) => n !== RCX),
            );
            b.put(size, op, value64(rng, size));
            const c = form === 'cl' ? count(rng) : count(s);
            if (form === 'cl') b.set(8, RCX, BigInt(c));
            const text = `${name.toLowerCase()} ${op.text},${regName64(size, r)},${form === 'cl' ? 'cl' : hx(c)}`;
            const code = encode({
              pre,
              w,
              opcode: [0x0f, base + (form === 'cl' ? 1 : 0)],
              reg: r,
              op,
              imm: form === 'imm' ? [c] : [],
            });
            return b.build(text, name, { size, count: c, ...destOf64(op) }, code);
          }),
        );
    }
  return out;
}

export const SHIFT64_FAMILIES: Family64[] = [
  {
    name: 'shift64',
    description:
      '64-bit mode: ROL ROR RCL RCR SHL SHR SAR by 1, CL (0..70, high values) and imm8 at 8/16/32/64 bits',
    generate: generateShift,
  },
  {
    name: 'shld64',
    description: '64-bit mode: SHLD/SHRD by CL and imm8 at 16/32/64 bits',
    generate: generateShld,
  },
];
