// 64-bit prefix combinations (SDM Vol. 2A §2.1.1 and §2.2.1): REX.W over 66, a REX that is not
// the last prefix (ignored), two REX prefixes (the last counts), redundant 66 and segment
// prefixes, F2/F3 on instructions that have no REP form (ignored), CS/DS/ES/SS overrides
// (base 0 in 64-bit mode) vs GS, 67 on an instruction without a memory operand, empty REX
// (40) that turns AH into SPL, LOCK on a register destination (#UD), branch hints.

import type { Family64 } from '../record64.ts';
import type { Rng } from '../lib/rng.ts';
import { LAYOUT } from '../fixture-format.ts';
import { LAYOUT64 } from '../fixture-format64.ts';
import { Builder64, RAX, RCX, u64, type CaseSpec64 } from '../lib/x86-64.ts';
import type { UndefinedContext } from '../../fixtures/cpu/undefined-flags.ts';

interface Template {
  asm: string;
  m: string;
  ctx: UndefinedContext;
  code: number[];
  /** RAX points at the buffer (offset 8), through GS when `gs`. */
  mem?: 'ds' | 'gs';
}

const T = (asm: string, m: string, size: 8 | 16 | 32 | 64, code: number[], mem?: 'ds' | 'gs'): Template => ({
  asm,
  m,
  ctx: { size },
  code,
  mem,
});

const TEMPLATES: Template[] = [
  T('66 48 add rax,rcx (REX.W wins over 66)', 'ADD', 64, [0x66, 0x48, 0x01, 0xc8]),
  T('66 66 add ax,cx', 'ADD', 16, [0x66, 0x66, 0x01, 0xc8]),
  T('f2 add eax,ecx', 'ADD', 32, [0xf2, 0x01, 0xc8]),
  T('f3 48 sub rax,rcx', 'SUB', 64, [0xf3, 0x48, 0x29, 0xc8]),
  T('67 add eax,ecx (no memory operand)', 'ADD', 32, [0x67, 0x01, 0xc8]),
  T('cs add [rax],rcx', 'ADD', 64, [0x2e, 0x48, 0x01, 0x08], 'ds'),
  T('es adc [rax],ecx', 'ADC', 32, [0x26, 0x11, 0x08], 'ds'),
  T('ss sbb [rax],cx', 'SBB', 16, [0x66, 0x36, 0x19, 0x08], 'ds'),
  T('ds xor [rax],cl', 'XOR', 8, [0x3e, 0x30, 0x08], 'ds'),
  T('gs add [rax],rcx', 'ADD', 64, [0x65, 0x48, 0x01, 0x08], 'gs'),
  T('gs gs or [rax],ecx', 'OR', 32, [0x65, 0x65, 0x09, 0x08], 'gs'),
  T('lock 66 48 add [rax],rcx', 'ADD', 64, [0xf0, 0x66, 0x48, 0x01, 0x08], 'ds'),
  T('lock gs and [rax],ecx', 'AND', 32, [0xf0, 0x65, 0x21, 0x08], 'gs'),
  T('lock add eax,ecx (#UD)', 'ADD', 32, [0xf0, 0x01, 0xc8]),
  T('mov al,ah', 'MOV', 8, [0x88, 0xe0]),
  T('40 mov al,spl (empty REX)', 'MOV', 8, [0x40, 0x88, 0xe0]),
  T('40 mov dil,cl', 'MOV', 8, [0x40, 0x88, 0xcf]),
  T(
    '66 48 mov rax,imm32 (C7, imm32 with REX.W)',
    'MOV',
    64,
    [0x66, 0x48, 0xc7, 0xc0, 0x80, 0x00, 0x00, 0x80],
  ),
  T('66 48 mov rax,imm64 (B8, 8-byte immediate)', 'MOV', 64, [0x66, 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 0x88]),
  T('66 40 inc ax', 'INC', 16, [0x66, 0x40, 0xff, 0xc0]),
  T('66 48 imul rax,rcx', 'IMUL', 64, [0x66, 0x48, 0x0f, 0xaf, 0xc1]),
  T('66 48 cdqe', 'CDQE', 64, [0x66, 0x48, 0x98]),
  T('66 48 cqo', 'CQO', 64, [0x66, 0x48, 0x99]),
  T('66 48 neg rcx', 'NEG', 64, [0x66, 0x48, 0xf7, 0xd9]),
  T('66 48 movzx rax,cx', 'MOVZX', 64, [0x66, 0x48, 0x0f, 0xb7, 0xc1]),
  T('67 48 lea rax,[eax+ecx*2]', 'LEA', 64, [0x67, 0x48, 0x8d, 0x04, 0x48]),
  T('66 67 lea ax,[eax+ecx]', 'LEA', 16, [0x66, 0x67, 0x8d, 0x04, 0x08]),
  T('2e jz +2 (hint); mov al,1', 'Jcc', 64, [0x2e, 0x74, 0x02, 0xb0, 0x01]),
  T('3e jnz +2 (hint); mov al,1', 'Jcc', 64, [0x3e, 0x75, 0x02, 0xb0, 0x01]),
  T('66 48 xchg rax,rcx', 'XCHG', 64, [0x66, 0x48, 0x87, 0xc8]),
  T('f3 48 shl rax,cl', 'SHL', 64, [0xf3, 0x48, 0xd3, 0xe0]),
  T('66 48 bswap rax', 'BSWAP', 64, [0x66, 0x48, 0x0f, 0xc8]),
  T('66 48 bt rax,rcx', 'BT', 64, [0x66, 0x48, 0x0f, 0xa3, 0xc8]),
];

/**
 * A REX prefix counts only immediately before the opcode (or the 0F escape): one followed by
 * another prefix is ignored, and of two REX prefixes the last counts (SDM Vol. 2A §2.2.1:
 * "Other placements are ignored"; AMD APM Vol. 3 §1.2.7).
 */
const REX_ORDER: Template[] = [
  T('48 66 add ax,cx (REX not last: ignored)', 'ADD', 16, [0x48, 0x66, 0x01, 0xc8]),
  T('48 66 mov ax,imm16 (REX not last)', 'MOV', 16, [0x48, 0x66, 0xb8, 0x34, 0x92]),
  T('48 66 cbw (REX not last)', 'CBW', 16, [0x48, 0x66, 0x98]),
  T('41 f3 add eax,ecx (REX not last)', 'ADD', 32, [0x41, 0xf3, 0x01, 0xc8]),
  T('41 48 add rax,rcx (the last REX counts)', 'ADD', 64, [0x41, 0x48, 0x01, 0xc8]),
  T('48 41 add r8d,ecx (the last REX counts)', 'ADD', 32, [0x48, 0x41, 0x01, 0xc8]),
  T('4c 40 mov al,spl (the last REX counts)', 'MOV', 8, [0x4c, 0x40, 0x88, 0xe0]),
];

function generatePrefix(rng: Rng, templates: Template[]): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const t of templates)
    for (let i = 0; i < 64; i++) {
      const b = new Builder64(rng);
      b.set(64, RAX, u64(rng)).set(64, RCX, i % 4 === 0 ? BigInt(rng.int(0, 70)) : u64(rng));
      if (t.mem) {
        b.memory();
        b.set(64, RAX, BigInt(LAYOUT.memBase + 8 - (t.mem === 'gs' ? LAYOUT64.gsBase : 0)));
      }
      const ctx: UndefinedContext = { ...t.ctx };
      if (t.m === 'SHL') ctx.count = Number((b.regs[RCX] as bigint) & 0xffn);
      out.push(b.build(t.asm, t.m, ctx, t.code));
    }
  return out;
}

export const PREFIX64_FAMILIES: Family64[] = [
  {
    name: 'prefix64',
    description:
      '64-bit mode: prefix combinations: 66 with REX.W, redundant prefixes, F2/F3 and 67 where they mean nothing, segment overrides, empty REX, LOCK (#UD on registers), branch hints',
    generate: (rng) => generatePrefix(rng, TEMPLATES),
  },
  {
    name: 'rexorder64',
    description: '64-bit mode: REX followed by another prefix (ignored), two REX prefixes (the last counts)',
    generate: (rng) => generatePrefix(rng, REX_ORDER),
  },
];
