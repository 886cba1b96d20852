// 64-bit mode canonical-address checks (SDM Vol. 3A §3.3.7.1; Vol. 2 "64-Bit Mode
// Exceptions" of each instruction): a memory reference to a non-canonical address raises
// #SS(0) when it goes through SS (RSP or RBP as base, an SS override, PUSH/POP) and #GP(0)
// otherwise (other bases, a DS/ES/CS override on an RBP base, GS, string operands). The host
// has 48-bit linear addresses (no LA57). Nothing is written: the fault leaves all state.

import type { Family64 } from '../record64.ts';
import type { Rng } from '../lib/rng.ts';
import {
  Builder64,
  RBP,
  RSI,
  RDI,
  RSP,
  encode,
  regName64,
  sizePre,
  u64,
  type CaseSpec64,
  type Size64,
} from '../lib/x86-64.ts';
import { builder } from './alu.ts';

/** A non-canonical address: bits 63:47 not all equal (SDM Vol. 1 §3.3.7.1). */
function nonCanonical(rng: Rng): bigint {
  const pick = rng.int(0, 4);
  if (pick === 0) return 0x0000_8000_0000_0000n + BigInt(rng.int(0, 4095));
  if (pick === 1) return 0xffff_7fff_ffff_f000n + BigInt(rng.int(0, 4095));
  if (pick === 2) return 0x8000_0000_0000_0000n | (u64(rng) & 0xffff_ffffn);
  const v = u64(rng);
  const top = v >> 47n;
  return top === 0n || top === 0x1ffffn ? v ^ (1n << 60n) : v;
}

function generateCanonical(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  // ALU, MOV and TEST with a non-canonical memory operand, through every base register.
  // [text, mnemonic, opcode of the 16/32/64-bit form (the 8-bit one is one less), r/m first]
  const forms: [string, string, number, boolean][] = [
    ['add', 'ADD', 0x01, true],
    ['mov', 'MOV', 0x8b, false],
    ['mov', 'MOV', 0x89, true],
    ['cmp', 'CMP', 0x39, true],
    ['test', 'TEST', 0x85, true],
    ['xchg', 'XCHG', 0x87, true],
  ];
  for (const [mn, m, opcode, toMem] of forms)
    for (const size of [8, 32, 64] as Size64[])
      for (let i = 0; i < 60; i++) {
        const b = builder(rng, rng, size, 0);
        const r = b.pickReg(size);
        b.set(64, r, u64(rng));
        b.reserve(r);
        const op = b.memOp(size, 0, 0, nonCanonical(rng));
        const code = encode({
          ...sizePre(size),
          opcode: [size === 8 ? opcode - 1 : opcode],
          reg: r,
          op,
          byteReg: size === 8,
        });
        const text = toMem
          ? `${mn} ${op.text},${regName64(size, r)}`
          : `${mn} ${regName64(size, r)},${op.text}`;
        out.push(b.build(`${text} (non-canonical)`, m, { size }, code));
      }
  // RBP and RSP as base: the SS segment, so #SS(0); with a DS override on RBP: #GP(0).
  for (const base of [RBP, RSP])
    for (const seg of [undefined, 0x3e, 0x36, 0x26])
      for (let i = 0; i < 40; i++) {
        const b = new Builder64(rng);
        const ea = nonCanonical(rng);
        const d = rng.int(-128, 127);
        b.set(64, base, BigInt.asUintN(64, ea - BigInt(d)));
        const modrm = base === RSP ? [0x44, 0x24, d & 0xff] : [0x45, d & 0xff];
        const segText =
          seg === undefined
            ? ''
            : `${({ 0x26: 'es', 0x36: 'ss', 0x3e: 'ds' } as Record<number, string>)[seg]}:`;
        out.push(
          b.build(
            `mov rax,qword ${segText}[${regName64(64, base)}${d < 0 ? '-' : '+'}0x${Math.abs(d).toString(16)}] (non-canonical)`,
            'MOV',
            { size: 64 },
            [...(seg ? [seg] : []), 0x48, 0x8b, ...modrm],
          ),
        );
      }
  // Implicit stack references with a non-canonical RSP: #SS(0).
  for (const [text, m, code] of [
    ['push rax', 'PUSH', [0x50]],
    ['pop rcx', 'POP', [0x59]],
    ['push 0x12', 'PUSH', [0x6a, 0x12]],
    ['pushfq', 'PUSHF', [0x9c]],
    ['popfq', 'POPF', [0x9d]],
  ] as [string, string, number[]][])
    for (let i = 0; i < 40; i++) {
      const b = new Builder64(rng);
      b.set(64, RSP, nonCanonical(rng) & ~7n);
      out.push(b.build(`${text} (non-canonical rsp)`, m, { size: 64 }, code));
    }
  // String operands: DS:RSI and ES:RDI are not stack references: #GP(0).
  for (const [text, m, code, reg] of [
    ['lodsb', 'LODS', [0xac], RSI],
    ['stosq', 'STOS', [0x48, 0xab], RDI],
    ['movsd', 'MOVS', [0xa5], RSI],
    ['movsd', 'MOVS', [0xa5], RDI],
    ['scasw', 'SCAS', [0x66, 0xaf], RDI],
  ] as [string, string, number[], number][])
    for (let i = 0; i < 40; i++) {
      const b = new Builder64(rng);
      b.memory();
      b.set(64, RSI, 0x31000n).set(64, RDI, 0x31020n);
      b.set(64, reg, nonCanonical(rng));
      out.push(b.build(`${text} (non-canonical ${regName64(64, reg)})`, m, { size: 8 }, code));
    }
  return out;
}

export const CANONICAL64_FAMILIES: Family64[] = [
  {
    name: 'canonical64',
    description:
      '64-bit mode: non-canonical memory references: #GP(0) through DS/ES/GS and other bases, #SS(0) through RSP/RBP/SS overrides and PUSH/POP',
    generate: generateCanonical,
  },
];
