// Integer ALU families: the eight classic binary operations in every encoding (SDM Vol. 2
// opcode map, Table A-2 rows 0-3 and group 1 at 80-83), INC/DEC, NEG/NOT and TEST.

import type { Family } from '../gen-cases.ts';
import {
  CaseBuilder,
  EAX,
  ECX,
  EDX,
  EBX,
  EBP,
  ESI,
  EDI,
  SIZES,
  destOf,
  edges,
  hex,
  le,
  maskOf,
  modrmBytes,
  sext,
  osize,
  regName,
  value,
  type CaseSpec,
  type Size,
} from '../lib/x86.ts';
import { CF } from '../../fixtures/cpu/undefined-flags.ts';
import type { Rng } from '../lib/rng.ts';

/** ADD OR ADC SBB AND SUB XOR CMP: opcode row n*8 and group-1 /n. */
const ALU_OPS = ['ADD', 'OR', 'ADC', 'SBB', 'AND', 'SUB', 'XOR', 'CMP'] as const;
const ALL_REGS = [0, 1, 2, 3, 4, 5, 6, 7];
/** Share of r/m operands that are memory. */
const P_MEM = 0.25;
const immBytes = (size: Size): number => (size === 32 ? 4 : size / 8);

type Form = 'rm,r' | 'r,rm' | 'acc,imm' | '80' | '81' | '82' | '83';

function aluCase(
  rng: Rng,
  n: number,
  form: Form,
  size: Size,
  a?: number,
  bv?: number,
  carry?: boolean,
): CaseSpec {
  const name = ALU_OPS[n] as string;
  const mn = name.toLowerCase();
  const b = new CaseBuilder(rng);
  if (carry !== undefined) b.flags(carry ? CF : 0, carry ? 0 : CF);
  const x = a ?? value(rng, size);
  const y = bv ?? value(rng, size);
  const wide = size === 8 ? 0 : 1;
  const ctx = { size };
  switch (form) {
    case 'rm,r':
    case 'r,rm': {
      const r = rng.pick(ALL_REGS);
      b.set(size, r, form === 'rm,r' ? y : x);
      const op = b.rm(size, P_MEM);
      b.put(size, op, form === 'rm,r' ? x : y);
      const opcode = n * 8 + (form === 'rm,r' ? 0 : 2) + wide;
      const text = form === 'rm,r' ? `${op.text},${regName(size, r)}` : `${regName(size, r)},${op.text}`;
      return b.build(`${mn} ${text}`, name, ctx, [...osize(size), opcode, ...modrmBytes(r, op)]);
    }
    case 'acc,imm': {
      b.set(size, EAX, x);
      return b.build(`${mn} ${regName(size, EAX)},${hex(y)}`, name, ctx, [
        ...osize(size),
        n * 8 + 4 + wide,
        ...le(y, immBytes(size)),
      ]);
    }
    default: {
      // Group 1: 80 (r/m8, imm8), 81 (r/m16/32, imm16/32), 82 (80's alias, valid outside
      // 64-bit mode), 83 (r/m16/32, imm8 sign-extended).
      const op = b.rm(size, P_MEM);
      b.put(size, op, x);
      const opcode = Number.parseInt(form, 16);
      const imm = opcode === 0x83 ? y & 0xff : y;
      const immLen = opcode === 0x81 ? immBytes(size) : 1;
      const shown = opcode === 0x83 ? sext(imm, 8) & maskOf(size) : imm;
      return b.build(`${mn} ${op.text},${hex(shown)}${opcode === 0x82 ? ' (82)' : ''}`, name, ctx, [
        ...osize(size),
        opcode,
        ...modrmBytes(n, op),
        ...le(imm, immLen),
      ]);
    }
  }
}

function generateAlu(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  const variants: [Form, Size][] = [
    ['rm,r', 8],
    ['rm,r', 16],
    ['rm,r', 32],
    ['r,rm', 8],
    ['r,rm', 16],
    ['r,rm', 32],
    ['acc,imm', 8],
    ['acc,imm', 16],
    ['acc,imm', 32],
    ['80', 8],
    ['81', 16],
    ['81', 32],
    ['83', 16],
    ['83', 32],
    ['82', 8],
  ];
  for (let n = 0; n < 8; n++) {
    for (const [form, size] of variants)
      for (let i = 0; i < (form === '82' ? 20 : 60); i++) out.push(aluCase(rng, n, form, size));
    // ADC/SBB: every pair of edge values with both carries in.
    if (n === 2 || n === 3) {
      for (const size of [8, 32] as const) {
        const e =
          size === 8
            ? edges(8)
            : [
                0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe,
                0xffffffff,
              ];
        for (const x of e)
          for (const y of e) for (const c of [false, true]) out.push(aluCase(rng, n, 'rm,r', size, x, y, c));
      }
    }
  }
  // LOCK (F0) is legal only on a memory destination of a read-modify-write instruction;
  // on a register destination, or on CMP, it raises #UD (SDM Vol. 2A, "LOCK—Assert LOCK# Signal Prefix").
  for (let i = 0; i < 24; i++) {
    const n = rng.int(0, 7);
    const b = new CaseBuilder(rng);
    const r = rng.pick([EAX, ECX, EDX, EBX, ESI, EDI, EBP]);
    b.set(32, r, value(rng, 32));
    const mem = i % 3 !== 0;
    const op = mem ? b.mem32(32) : b.reg(32, rng.pick([EAX, ECX, EDX, EBX, ESI, EDI]));
    b.put(32, op, value(rng, 32));
    out.push(
      b.build(
        `lock ${(ALU_OPS[n] as string).toLowerCase()} ${op.text},${regName(32, r)}`,
        ALU_OPS[n] as string,
        { size: 32 },
        [0xf0, n * 8 + 1, ...modrmBytes(r, op)],
      ),
    );
  }
  return out;
}

function generateIncDec(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (const [name, sub] of [
    ['INC', 0],
    ['DEC', 1],
  ] as const) {
    for (const size of SIZES) {
      // FE /0 /1 (r/m8) and FF /0 /1 (r/m16/32).
      for (let i = 0; i < 150; i++) {
        const b = new CaseBuilder(rng);
        const op = b.rm(size, P_MEM);
        b.put(size, op, value(rng, size, 0.5));
        out.push(
          b.build(`${name.toLowerCase()} ${op.text}`, name, { size }, [
            ...osize(size),
            size === 8 ? 0xfe : 0xff,
            ...modrmBytes(sub, op),
          ]),
        );
      }
      if (size === 8) continue;
      // 40+r / 48+r, one-byte forms (REX prefixes in 64-bit mode, instructions here).
      for (let i = 0; i < 120; i++) {
        const b = new CaseBuilder(rng);
        const r = i % 8;
        b.set(size, r, value(rng, size, 0.5));
        out.push(
          b.build(`${name.toLowerCase()} ${regName(size, r)}`, name, { size }, [
            ...osize(size),
            0x40 + sub * 8 + r,
          ]),
        );
      }
    }
  }
  return out;
}

function generateNegNot(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (const [name, sub] of [
    ['NOT', 2],
    ['NEG', 3],
  ] as const) {
    for (const size of SIZES) {
      for (let i = 0; i < (name === 'NEG' ? 140 : 70); i++) {
        const b = new CaseBuilder(rng);
        const op = b.rm(size, P_MEM);
        b.put(size, op, value(rng, size, 0.5));
        out.push(
          b.build(`${name.toLowerCase()} ${op.text}`, name, { size, ...destOf(size, op) }, [
            ...osize(size),
            size === 8 ? 0xf6 : 0xf7,
            ...modrmBytes(sub, op),
          ]),
        );
      }
    }
  }
  return out;
}

function generateTest(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (const size of SIZES) {
    const wide = size === 8 ? 0 : 1;
    for (let i = 0; i < 100; i++) {
      // 84/85: TEST r/m, r.
      const b = new CaseBuilder(rng);
      const r = rng.pick(ALL_REGS);
      b.set(size, r, value(rng, size));
      const op = b.rm(size, P_MEM);
      b.put(size, op, value(rng, size));
      out.push(
        b.build(`test ${op.text},${regName(size, r)}`, 'TEST', { size }, [
          ...osize(size),
          0x84 + wide,
          ...modrmBytes(r, op),
        ]),
      );
    }
    for (let i = 0; i < 60; i++) {
      // A8/A9: TEST AL/AX/EAX, imm.
      const b = new CaseBuilder(rng);
      const imm = value(rng, size);
      b.set(size, EAX, value(rng, size));
      out.push(
        b.build(`test ${regName(size, EAX)},${hex(imm)}`, 'TEST', { size }, [
          ...osize(size),
          0xa8 + wide,
          ...le(imm, immBytes(size)),
        ]),
      );
    }
    for (let i = 0; i < 80; i++) {
      // F6/F7 /0: TEST r/m, imm.
      const b = new CaseBuilder(rng);
      const op = b.rm(size, P_MEM);
      b.put(size, op, value(rng, size));
      const imm = value(rng, size);
      out.push(
        b.build(`test ${op.text},${hex(imm)}`, 'TEST', { size }, [
          ...osize(size),
          0xf6 + wide,
          ...modrmBytes(0, op),
          ...le(imm, immBytes(size)),
        ]),
      );
    }
  }
  return out;
}

export const ALU_FAMILIES: Family[] = [
  {
    name: 'alu',
    description:
      'ADD OR ADC SBB AND SUB XOR CMP: r/m,r r,r/m acc,imm and group 80/81/82/83, 8/16/32-bit, register and memory, LOCK',
    generate: generateAlu,
  },
  { name: 'incdec', description: 'INC/DEC: FE/FF /0 /1 and 40-4F, 8/16/32-bit', generate: generateIncDec },
  { name: 'negnot', description: 'NEG/NOT: F6/F7 /2 /3, 8/16/32-bit', generate: generateNegNot },
  { name: 'test', description: 'TEST: 84/85, A8/A9, F6/F7 /0, 8/16/32-bit', generate: generateTest },
];
