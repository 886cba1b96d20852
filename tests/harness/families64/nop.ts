// 64-bit no-operation forms compilers and distributions emit: NOP (90), 66 90, PAUSE (F3 90),
// the multi-byte NOP 0F 1F /0 with every addressing form and prefix padding (66, 2E), whose
// memory operand is never accessed (a non-canonical one does not fault either), ENDBR64 and
// ENDBR32 (F3 0F 1E FA/FB, NOPs unless CET is enabled), PREFETCHh (0F 18 /0-/3: a hint that
// never faults), and UD2 (#UD). SDM Vol. 2B NOP, PAUSE, PREFETCHh; Vol. 2A ENDBR64, UD.

import type { Family64 } from '../record64.ts';
import type { Rng } from '../lib/rng.ts';
import { Builder64, encode, u64, type CaseSpec64 } from '../lib/x86-64.ts';

function nonCanonical(rng: Rng): bigint {
  return 0x0000_8000_0000_0000n | (u64(rng) & 0x7fff_ffff_ffffn);
}

function generateNop(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  const simple: [string, string, number[]][] = [
    ['nop', 'NOP', [0x90]],
    ['66 nop', 'NOP', [0x66, 0x90]],
    ['pause', 'PAUSE', [0xf3, 0x90]],
    ['endbr64', 'ENDBR64', [0xf3, 0x0f, 0x1e, 0xfa]],
    ['endbr32', 'ENDBR64', [0xf3, 0x0f, 0x1e, 0xfb]],
    ['nop eax (0f 1f c0)', 'NOP', [0x0f, 0x1f, 0xc0]],
    ['nop dword [rax] (0f 1f 00)', 'NOP', [0x0f, 0x1f, 0x00]],
    ['nop dword [rax+0] (0f 1f 40 00)', 'NOP', [0x0f, 0x1f, 0x40, 0x00]],
    ['nop dword [rax+rax*1+0]', 'NOP', [0x0f, 0x1f, 0x44, 0x00, 0x00]],
    ['66 nop word [rax+rax*1+0]', 'NOP', [0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00]],
    ['nop dword [rax+0x0] (disp32)', 'NOP', [0x0f, 0x1f, 0x80, 0, 0, 0, 0]],
    ['nop dword [rax+rax*1+0x0] (disp32)', 'NOP', [0x0f, 0x1f, 0x84, 0x00, 0, 0, 0, 0]],
    ['66 nop word [rax+rax*1+0x0]', 'NOP', [0x66, 0x0f, 0x1f, 0x84, 0x00, 0, 0, 0, 0]],
    ['66 cs nop word [rax+rax*1+0x0]', 'NOP', [0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0, 0, 0, 0]],
    ['66 66 cs nop word [rax+rax*1+0x0]', 'NOP', [0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0, 0, 0, 0]],
    ['ud2', 'UD2', [0x0f, 0x0b]],
  ];
  // RAX is random in every case: a 0F 1F memory operand is not an access.
  for (const [asm, m, code] of simple)
    for (let i = 0; i < 48; i++) {
      const b = new Builder64(rng);
      b.set(64, 0, i % 2 ? nonCanonical(rng) : u64(rng));
      out.push(b.build(asm, m, { size: 32 }, code));
    }
  // 0F 1F /0 and PREFETCHh through the general operand generator, at the buffer or at a
  // non-canonical address.
  for (const [name, m, opcode, sub] of [
    ['nop', 'NOP', [0x0f, 0x1f], 0],
    ['prefetchnta', 'PREFETCH', [0x0f, 0x18], 0],
    ['prefetcht0', 'PREFETCH', [0x0f, 0x18], 1],
    ['prefetcht1', 'PREFETCH', [0x0f, 0x18], 2],
    ['prefetcht2', 'PREFETCH', [0x0f, 0x18], 3],
  ] as [string, string, number[], number][])
    for (let i = 0; i < 120; i++) {
      const b = new Builder64(rng);
      const wide = name === 'nop' && rng.chance(0.3);
      const op = i % 3 === 0 ? b.memOp(8, 0, 0, nonCanonical(rng)) : b.memOp(8);
      out.push(
        b.build(
          `${wide ? '66 ' : ''}${name} ${op.text}`,
          m,
          { size: 32 },
          encode({ pre: wide ? [0x66] : [], opcode, reg: sub, op }),
        ),
      );
    }
  return out;
}

export const NOP64_FAMILIES: Family64[] = [
  {
    name: 'nop64',
    description:
      '64-bit mode: NOP 90/66 90, PAUSE, 0F 1F /0 multi-byte NOPs (never access memory), ENDBR64/ENDBR32, PREFETCHh, UD2 (#UD)',
    generate: generateNop,
  },
];
