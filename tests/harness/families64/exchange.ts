// 64-bit exchanges: XCHG (86/87, 90+r with REX.B: 41 90 is XCHG R8, RAX, while 90 is NOP and
// 87 C0 zero-extends EAX), XADD (0F C0/C1, with LOCK), CMPXCHG (0F B0/B1) equal and not equal,
// CMPXCHG8B m64 (0F C7 /1) and its register form (#UD).

import type { Family64 } from '../record64.ts';
import type { Rng } from '../lib/rng.ts';
import { builder } from './alu.ts';
import {
  Builder64,
  RAX,
  RDX,
  RBX,
  RCX,
  SIZES64,
  destOf64,
  encode,
  grouped,
  regName64,
  sizePre,
  u64,
  value64,
  mask64,
  type CaseSpec64,
} from '../lib/x86-64.ts';

function generateXchg(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const size of SIZES64) {
    const { pre, w } = sizePre(size);
    out.push(
      ...grouped(rng, `xchg/${size}`, 40, 10, (s) => {
        const b = builder(rng, s, size);
        const r = b.pickReg(size, true);
        b.set(size, r, value64(rng, size));
        const op = b.rm(size, 0.4);
        b.put(size, op, value64(rng, size));
        return b.build(
          `xchg ${op.text},${regName64(size, r)}`,
          'XCHG',
          { size },
          encode({ pre, w, opcode: [size === 8 ? 0x86 : 0x87], reg: r, op, byteReg: size === 8 }),
        );
      }),
    );
  }
  return out;
}

/** 90+r: the accumulator with register r (REX.B selects R8-R15: 41 90 is XCHG R8, RAX); 90 alone is NOP. */
function generateXchgAcc(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const size of [16, 32, 64] as const) {
    const { pre, w } = sizePre(size);
    for (let n = 0; n < 16; n++)
      for (let i = 0; i < 8; i++) {
        const b = new Builder64(rng);
        b.set(64, RAX, u64(rng)).set(64, n, u64(rng));
        const rex = (w ? 8 : 0) | (n >= 8 ? 1 : 0);
        const text =
          n === 0 && size !== 64 && rex === 0
            ? `nop (${size === 16 ? '66 ' : ''}90)`
            : `xchg ${regName64(size, n)},${regName64(size, 0)}`;
        out.push(b.build(text, 'XCHG', { size }, [...pre, ...(rex ? [0x40 | rex] : []), 0x90 + (n & 7)]));
      }
  }
  return out;
}

function generateXadd(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const size of SIZES64)
    for (const lock of [false, true]) {
      const { pre, w } = sizePre(size);
      out.push(
        ...grouped(rng, `xadd/${size}/${lock}`, 30, 10, (s) => {
          const b = builder(rng, s, size);
          const r = b.pickReg(size, true);
          b.set(size, r, value64(rng, size));
          const op = lock ? b.memOp(size) : b.rm(size, 0.4);
          b.put(size, op, value64(rng, size));
          const code = encode({
            pre: [...(lock ? [0xf0] : []), ...pre],
            w,
            opcode: [0x0f, size === 8 ? 0xc0 : 0xc1],
            reg: r,
            op,
            byteReg: size === 8,
          });
          return b.build(
            `${lock ? 'lock ' : ''}xadd ${op.text},${regName64(size, r)}`,
            'XADD',
            { size },
            code,
          );
        }),
      );
    }
  return out;
}

function generateCmpxchg(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const size of SIZES64)
    for (const lock of [false, true]) {
      const { pre, w } = sizePre(size);
      out.push(
        ...grouped(rng, `cmpxchg/${size}/${lock}`, 30, 10, (s) => {
          const b = builder(rng, s, size).reserve(RAX);
          const r = b.pickReg(size);
          b.set(size, r, value64(rng, size));
          const op = lock
            ? b.memOp(size)
            : b.rm(
                size,
                0.4,
                b.pool(size).filter((n) => n !== RAX && n !== 16),
              );
          const v = value64(rng, size);
          b.put(size, op, v);
          b.set(size, RAX, rng.chance(0.5) ? v : value64(rng, size));
          const code = encode({
            pre: [...(lock ? [0xf0] : []), ...pre],
            w,
            opcode: [0x0f, size === 8 ? 0xb0 : 0xb1],
            reg: r,
            op,
            byteReg: size === 8,
          });
          return b.build(
            `${lock ? 'lock ' : ''}cmpxchg ${op.text},${regName64(size, r)}`,
            'CMPXCHG',
            { size, ...destOf64(op) },
            code,
          );
        }),
      );
    }
  // CMPXCHG8B m64: EDX:EAX against the quadword, ECX:EBX stored on a match; upper halves of
  // RDX/RAX are cleared when the comparison fails (32-bit writes).
  out.push(
    ...grouped(rng, 'cmpxchg8b', 40, 10, (s) => {
      const b = new Builder64(rng, s).reserve(RAX, RDX, RBX, RCX);
      const op = b.memOp(64);
      const v = u64(rng);
      b.put(64, op, v);
      const eq = rng.chance(0.5);
      b.set(64, RAX, eq ? (u64(rng) & ~mask64(32)) | (v & mask64(32)) : u64(rng));
      b.set(64, RDX, eq ? (u64(rng) & ~mask64(32)) | (v >> 32n) : u64(rng));
      b.set(64, RBX, u64(rng)).set(64, RCX, u64(rng));
      const lock = s.chance(0.3);
      return b.build(
        `${lock ? 'lock ' : ''}cmpxchg8b ${op.text}`,
        'CMPXCHG8B',
        { size: 64 },
        encode({ pre: lock ? [0xf0] : [], opcode: [0x0f, 0xc7], reg: 1, op }),
      );
    }),
  );
  for (let i = 0; i < 4; i++) {
    const b = new Builder64(rng);
    out.push(b.build('cmpxchg8b (register form)', 'CMPXCHG8B', { size: 64 }, [0x0f, 0xc7, 0xc8 + i]));
  }
  return out;
}

export const EXCHANGE64_FAMILIES: Family64[] = [
  { name: 'xchg64', description: '64-bit mode: XCHG 86/87 at 8/16/32/64 bits', generate: generateXchg },
  {
    name: 'xchgacc64',
    description: '64-bit mode: XCHG 90+r with REX.B and REX.W (41 90 is XCHG R8D, EAX), NOP 90',
    generate: generateXchgAcc,
  },
  {
    name: 'xadd64',
    description: '64-bit mode: XADD at 8/16/32/64 bits, with and without LOCK',
    generate: generateXadd,
  },
  {
    name: 'cmpxchg64',
    description:
      '64-bit mode: CMPXCHG equal/not equal at 8/16/32/64 bits, with LOCK; CMPXCHG8B m64; register CMPXCHG8B (#UD)',
    generate: generateCmpxchg,
  },
];
