// 64-bit integer ALU families: the eight binary operations (SDM Vol. 2 opcode map rows 0-3,
// group 1 at 80/81/83; 82 is #UD in 64-bit mode), INC/DEC (FE/FF only: 40-4F are REX),
// NEG/NOT and TEST, at 8/16/32/64 bits with R8-R15, SPL..DIL and AH..BH operands.

import type { Family64 } from '../record64.ts';
import { Rng } from '../lib/rng.ts';
import { CF } from '../../fixtures/cpu/undefined-flags.ts';
import {
  Builder64,
  SIZES64,
  destOf64,
  edges64,
  encode,
  grouped,
  hx,
  le64,
  mask64,
  regName64,
  sizePre,
  sx64,
  value64,
  type CaseSpec64,
  type Size64,
} from '../lib/x86-64.ts';

const ALU_OPS = ['ADD', 'OR', 'ADC', 'SBB', 'AND', 'SUB', 'XOR', 'CMP'] as const;
const P_MEM = 0.3;
/** Immediate bytes: imm8/imm16/imm32; 64-bit operations take imm32 sign-extended (SDM Vol. 2A §2.2.1.5). */
export const immBytes = (size: Size64): number => (size === 8 ? 1 : size === 16 ? 2 : 4);
/** A builder whose byte registers are AH..BH (no REX) now and then. */
export function builder(rng: Rng, s: Rng, size: Size64, pLegacy = 0.3): Builder64 {
  const b = new Builder64(rng, s);
  b.legacy = size === 8 && s.chance(pLegacy);
  return b;
}

type Form = 'rm,r' | 'r,rm' | 'acc,imm' | '80' | '81' | '83' | '82';

function aluCase(
  rng: Rng,
  s: Rng,
  n: number,
  form: Form,
  size: Size64,
  x?: bigint,
  y?: bigint,
  carry?: boolean,
): CaseSpec64 {
  const name = ALU_OPS[n] as string;
  const mn = name.toLowerCase();
  const b = builder(rng, s, size);
  if (carry !== undefined) b.flags(carry ? CF : 0, carry ? 0 : CF);
  const a = x ?? value64(rng, size);
  const c = y ?? value64(rng, size);
  const wide = size === 8 ? 0 : 1;
  const { pre, w } = sizePre(size);
  switch (form) {
    case 'rm,r':
    case 'r,rm': {
      const r = b.pickReg(size, true);
      b.set(size, r, form === 'rm,r' ? c : a);
      const op = b.rm(size, P_MEM);
      b.put(size, op, form === 'rm,r' ? a : c);
      const opcode = n * 8 + (form === 'rm,r' ? 0 : 2) + wide;
      const text = form === 'rm,r' ? `${op.text},${regName64(size, r)}` : `${regName64(size, r)},${op.text}`;
      const dest = form === 'rm,r' ? destOf64(op) : destOf64(b.reg(size, r));
      return b.build(
        `${mn} ${text}`,
        name,
        { size, ...dest },
        encode({ pre, w, opcode: [opcode], reg: r, op, byteReg: size === 8 }),
      );
    }
    case 'acc,imm': {
      b.set(size, 0, a);
      const imm = y ?? value64(s, size);
      const shown = size === 64 ? sx64(imm & 0xffff_ffffn, 32) : imm;
      const code = [...pre, ...(w ? [0x48] : []), n * 8 + 4 + wide, ...le64(imm, immBytes(size))];
      return b.build(`${mn} ${regName64(size, 0)},${hx(shown)}`, name, { size, dest: 'rax' }, code);
    }
    default: {
      // Group 1: 80 (r/m8, imm8), 81 (imm16/32), 83 (imm8 sign-extended); 82 is invalid in 64-bit mode.
      const op = b.rm(size, P_MEM);
      b.put(size, op, a);
      const opcode = Number.parseInt(form, 16);
      const imm = y ?? value64(s, size);
      const len = opcode === 0x81 ? immBytes(size) : 1;
      const shown =
        opcode === 0x81
          ? size === 64
            ? sx64(imm & 0xffff_ffffn, 32)
            : imm
          : sx64(imm & 0xffn, 8) & mask64(size);
      const code = encode({ pre, w, opcode: [opcode], reg: n, op, imm: le64(imm, len) });
      return b.build(
        `${mn} ${op.text},${hx(shown)}${opcode === 0x82 ? ' (82)' : ''}`,
        name,
        { size, ...destOf64(op) },
        code,
      );
    }
  }
}

function generateAlu(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  const variants: [Form, Size64][] = [];
  for (const size of SIZES64) variants.push(['rm,r', size], ['r,rm', size], ['acc,imm', size]);
  variants.push(['80', 8], ['81', 16], ['81', 32], ['81', 64], ['83', 16], ['83', 32], ['83', 64]);
  for (let n = 0; n < 8; n++) {
    for (const [form, size] of variants)
      out.push(...grouped(rng, `alu/${n}/${form}/${size}`, 30, 8, (s) => aluCase(rng, s, n, form, size)));
    out.push(...grouped(rng, `alu/${n}/82`, 2, 1, (s) => aluCase(rng, s, n, '82', 8)));
    // ADC/SBB: every pair of edge values with both carries in, 64-bit.
    if (n === 2 || n === 3) {
      const e = edges64(64);
      const shape = rng.u32();
      for (const x of e)
        for (const y of e)
          for (const c of [false, true])
            out.push(aluCase(rng, new Rng(`adc-edges/${n}/${shape}`), n, 'rm,r', 64, x, y, c));
    }
  }
  // LOCK (F0): legal on a memory destination of a read-modify-write operation, #UD on a
  // register destination or on CMP (SDM Vol. 2A, "LOCK—Assert LOCK# Signal Prefix").
  for (let i = 0; i < 48; i++) {
    const n = rng.int(0, 7);
    const size = rng.pick([32, 64] as const);
    const b = new Builder64(rng);
    const r = b.pickReg(size);
    b.set(size, r, value64(rng, size));
    const op = i % 3 !== 0 ? b.memOp(size) : b.reg(size, b.pickReg(size));
    b.put(size, op, value64(rng, size));
    const code = encode({
      pre: [0xf0, ...sizePre(size).pre],
      w: size === 64,
      opcode: [n * 8 + 1],
      reg: r,
      op,
    });
    out.push(
      b.build(
        `lock ${(ALU_OPS[n] as string).toLowerCase()} ${op.text},${regName64(size, r)}`,
        ALU_OPS[n] as string,
        { size, ...destOf64(op) },
        code,
      ),
    );
  }
  return out;
}

/** One-operand group 3/4/5 forms: F6/F7 /2 NOT, /3 NEG; FE/FF /0 INC, /1 DEC. */
function unary(rng: Rng, tag: string, ops: [string, number, number][], groups: number): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const [name, opc, sub] of ops)
    for (const size of SIZES64)
      out.push(
        ...grouped(rng, `${tag}/${name}/${size}`, groups, 8, (s) => {
          const b = builder(rng, s, size);
          const op = b.rm(size, P_MEM);
          b.put(size, op, value64(rng, size, 0.5));
          const code = encode({ ...sizePre(size), opcode: [size === 8 ? opc : opc + 1], reg: sub, op });
          return b.build(`${name.toLowerCase()} ${op.text}`, name, { size, ...destOf64(op) }, code);
        }),
      );
  return out;
}

function generateTest(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const size of SIZES64) {
    const { pre, w } = sizePre(size);
    out.push(
      ...grouped(rng, `test/rr/${size}`, 25, 8, (s) => {
        const b = builder(rng, s, size);
        const r = b.pickReg(size, true);
        b.set(size, r, value64(rng, size));
        const op = b.rm(size, P_MEM);
        b.put(size, op, value64(rng, size));
        return b.build(
          `test ${op.text},${regName64(size, r)}`,
          'TEST',
          { size },
          encode({ pre, w, opcode: [size === 8 ? 0x84 : 0x85], reg: r, op, byteReg: size === 8 }),
        );
      }),
      ...grouped(rng, `test/imm/${size}`, 25, 8, (s) => {
        const b = builder(rng, s, size);
        const op = s.chance(0.3) ? b.reg(size, 0) : b.rm(size, P_MEM);
        b.put(size, op, value64(rng, size));
        const imm = value64(s, size);
        const acc = op.n === 0 && s.chance(0.5);
        const code = acc
          ? [...pre, ...(w ? [0x48] : []), size === 8 ? 0xa8 : 0xa9, ...le64(imm, immBytes(size))]
          : encode({
              pre,
              w,
              opcode: [size === 8 ? 0xf6 : 0xf7],
              reg: 0,
              op,
              imm: le64(imm, immBytes(size)),
            });
        return b.build(
          `test ${op.text},${hx(size === 64 ? sx64(imm & 0xffff_ffffn, 32) : imm)}`,
          'TEST',
          { size },
          code,
        );
      }),
    );
  }
  return out;
}

export const ALU64_FAMILIES: Family64[] = [
  {
    name: 'alu64',
    description:
      '64-bit mode: ADD OR ADC SBB AND SUB XOR CMP, 8/16/32/64-bit, all forms, R8-R15, SPL..DIL, AH..BH, RIP-relative and SIB memory; 82 (#UD); LOCK',
    generate: generateAlu,
  },
  {
    name: 'incdec64',
    description: '64-bit mode: INC/DEC FE/FF /0 /1 at 8/16/32/64 bits',
    generate: (rng) =>
      unary(
        rng,
        'incdec',
        [
          ['INC', 0xfe, 0],
          ['DEC', 0xfe, 1],
        ],
        40,
      ),
  },
  {
    name: 'negnot64',
    description: '64-bit mode: NEG/NOT F6/F7 /3 /2 at 8/16/32/64 bits',
    generate: (rng) =>
      unary(
        rng,
        'negnot',
        [
          ['NOT', 0xf6, 2],
          ['NEG', 0xf6, 3],
        ],
        40,
      ),
  },
  {
    name: 'test64',
    description: '64-bit mode: TEST 84/85, A8/A9, F6/F7 /0 at 8/16/32/64 bits',
    generate: generateTest,
  },
];
