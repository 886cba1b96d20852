// 64-bit moves: MOVZX/MOVSX (0F B6/B7/BE/BF) into 16/32/64-bit registers, MOVSXD (63 /r),
// MOV in every form (88-8B, C6/C7 with imm32 sign-extended, B0+r, B8+r with imm64, A0-A3 with
// a 64-bit or, under 0x67, 32-bit moffs), LEA in every addressing form (RIP-relative, SIB
// with REX.X/REX.B, 0x67) into 16/32/64-bit registers, CBW CWDE CDQE CWD CDQ CQO, XLAT.

import type { Family64 } from '../record64.ts';
import type { Rng } from '../lib/rng.ts';
import { LAYOUT } from '../fixture-format.ts';
import { LAYOUT64 } from '../fixture-format64.ts';
import { builder } from './alu.ts';
import {
  Builder64,
  RAX,
  RBX,
  RDX,
  SIZES64,
  encode,
  grouped,
  hx,
  le64,
  regName64,
  sizePre,
  u64,
  value64,
  type CaseSpec64,
  type Size64,
} from '../lib/x86-64.ts';

function generateMovx(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  const forms: [string, number, Size64, Size64][] = [];
  for (const dst of [16, 32, 64] as Size64[]) {
    forms.push(['MOVZX', 0xb6, dst, 8], ['MOVSX', 0xbe, dst, 8]);
    if (dst !== 16) forms.push(['MOVZX', 0xb7, dst, 16], ['MOVSX', 0xbf, dst, 16]);
  }
  for (const [name, opcode, dst, src] of forms)
    out.push(
      ...grouped(rng, `movx/${opcode}/${dst}`, 30, 10, (s) => {
        const b = builder(rng, s, src === 8 && dst !== 64 ? 8 : dst);
        const r = b.pool(dst).filter((n) => n < 16);
        const d = s.pick(r);
        b.set(64, d, u64(rng));
        const op = b.rm(src, 0.35);
        b.put(src, op, value64(rng, src));
        return b.build(
          `${name.toLowerCase()} ${regName64(dst, d)},${op.text}`,
          name,
          { size: dst },
          encode({ ...sizePre(dst), opcode: [0x0f, opcode], reg: d, op }),
        );
      }),
    );
  // MOVSXD r64, r/m32 (REX.W 63 /r); without REX.W it moves 32 bits (or 16 with 66), which
  // the SDM discourages but defines (SDM Vol. 2B MOVSX/MOVSXD).
  for (const dst of [64, 32, 16] as Size64[])
    out.push(
      ...grouped(rng, `movsxd/${dst}`, dst === 64 ? 40 : 15, 10, (s) => {
        const b = new Builder64(rng, s);
        const d = b.pickReg(dst, true);
        b.set(64, d, u64(rng));
        const src = dst === 64 ? 32 : dst;
        const op = b.rm(src, 0.35);
        b.put(src, op, value64(rng, src));
        return b.build(
          `movsxd ${regName64(dst, d)},${op.text}`,
          'MOVSXD',
          { size: dst },
          encode({ ...sizePre(dst), opcode: [0x63], reg: d, op }),
        );
      }),
    );
  return out;
}

function generateMov(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const size of SIZES64) {
    const { pre, w } = sizePre(size);
    const wide = size === 8 ? 0 : 1;
    for (const dir of [0, 2])
      out.push(
        ...grouped(rng, `mov/${size}/${dir}`, 30, 10, (s) => {
          const b = builder(rng, s, size);
          const r = b.pickReg(size, true);
          b.set(64, r >= 16 ? r - 16 : r, u64(rng));
          const op = b.rm(size, 0.4);
          b.put(size, op, value64(rng, size));
          const text =
            dir === 0 ? `mov ${op.text},${regName64(size, r)}` : `mov ${regName64(size, r)},${op.text}`;
          return b.build(
            text,
            'MOV',
            { size },
            encode({ pre, w, opcode: [0x88 + dir + wide], reg: r, op, byteReg: size === 8 }),
          );
        }),
      );
    out.push(
      ...grouped(rng, `mov/imm/${size}`, 30, 6, (s) => {
        const b = builder(rng, s, size);
        const op = b.rm(size, 0.4);
        b.put(size, op, u64(rng));
        const imm = value64(s, size);
        const len = size === 8 ? 1 : size === 16 ? 2 : 4;
        return b.build(
          `mov ${op.text},${hx(imm)}`,
          'MOV',
          { size },
          encode({ pre, w, opcode: [0xc6 + wide], reg: 0, op, imm: le64(imm, len) }),
        );
      }),
    );
    // B0+r / B8+r: imm8/16/32, or imm64 with REX.W.
    for (let n = 0; n < 16; n++)
      for (let i = 0; i < 4; i++) {
        const b = new Builder64(rng);
        b.set(64, n, u64(rng));
        const imm = value64(rng, size);
        const rex = (w ? 8 : 0) | (n >= 8 ? 1 : 0) | (size === 8 && n >= 4 && n < 8 ? 0x40 : 0);
        const code = [
          ...pre,
          ...(rex ? [0x40 | (rex & 0xf)] : []),
          (size === 8 ? 0xb0 : 0xb8) + (n & 7),
          ...le64(imm, size / 8),
        ];
        out.push(b.build(`mov ${regName64(size, n)},${hx(imm)}`, 'MOV', { size }, code));
      }
    // A0-A3: the accumulator and a 64-bit absolute address (32-bit under 0x67).
    for (const a32 of [false, true])
      for (let i = 0; i < 12; i++) {
        const b = new Builder64(rng);
        b.set(64, RAX, u64(rng));
        const o = rng.int(0, LAYOUT.memSize - size / 8);
        b.memory();
        const store = i % 2 === 1;
        const addr = LAYOUT.memBase + o;
        const code = [
          ...(a32 ? [0x67] : []),
          ...pre,
          ...(w ? [0x48] : []),
          0xa0 + (store ? 2 : 0) + wide,
          ...le64(addr, a32 ? 4 : 8),
        ];
        const mem = `[${hx(addr)}]`;
        out.push(
          b.build(
            store
              ? `mov ${mem},${regName64(size, 0)}${a32 ? ' (67)' : ''}`
              : `mov ${regName64(size, 0)},${mem}${a32 ? ' (67)' : ''}`,
            'MOV',
            { size },
            code,
          ),
        );
      }
  }
  return out;
}

function generateLea(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const size of [16, 32, 64] as Size64[])
    out.push(
      ...grouped(rng, `lea/${size}`, 500, 3, (s) => {
        const b = new Builder64(rng, s);
        const d = b.pickReg(size, true);
        b.set(64, d, u64(rng));
        const op = b.memOp(64, undefined, 0.3);
        return b.build(
          `lea ${regName64(size, d)},${op.text.replace(/^\w+ /, '')}`,
          'LEA',
          { size },
          encode({ ...sizePre(size), opcode: [0x8d], reg: d, op }),
        );
      }),
    );
  for (let i = 0; i < 4; i++)
    out.push(
      new Builder64(rng).build('lea rax,rcx (register operand)', 'LEA', { size: 64 }, [0x48, 0x8d, 0xc1 + i]),
    );
  return out;
}

function generateConvert(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  const forms: [string, string, number[], Size64][] = [
    ['cbw', 'CBW', [0x66, 0x98], 16],
    ['cwde', 'CWDE', [0x98], 32],
    ['cdqe', 'CDQE', [0x48, 0x98], 64],
    ['cwd', 'CWD', [0x66, 0x99], 16],
    ['cdq', 'CDQ', [0x99], 32],
    ['cqo', 'CQO', [0x48, 0x99], 64],
  ];
  for (const [asm, m, code, size] of forms)
    for (let i = 0; i < 150; i++) {
      const b = new Builder64(rng);
      b.set(64, RAX, u64(rng)).set(64, RDX, u64(rng));
      if (i % 2)
        b.set(
          size === 64 ? 32 : size === 32 ? 16 : 8,
          RAX,
          value64(rng, size === 64 ? 32 : size === 32 ? 16 : 8),
        );
      out.push(b.build(asm, m, { size }, code));
    }
  return out;
}

function generateXlat(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const [pre, text] of [
    [[], 'xlat (rbx)'],
    [[0x48], 'rex.w xlat'],
    [[0x67], 'xlat (ebx, 67)'],
    [[0x65], 'gs xlat'],
  ] as [number[], string][])
    for (let i = 0; i < 120; i++) {
      const b = new Builder64(rng);
      b.memory();
      const al = rng.int(0, 255);
      const o = rng.int(0, LAYOUT.memSize - 1);
      const gs = pre.includes(0x65) ? LAYOUT64.gsBase : 0;
      let base = BigInt(LAYOUT.memBase + o - al - gs);
      if (pre.includes(0x67)) base |= u64(rng) & ~0xffff_ffffn;
      b.set(64, RAX, (u64(rng) & ~0xffn) | BigInt(al)).set(64, RBX, base);
      out.push(b.build(text, 'XLAT', { size: 8 }, [...pre, 0xd7]));
    }
  return out;
}

export const MOVE64_FAMILIES: Family64[] = [
  {
    name: 'movx64',
    description: '64-bit mode: MOVZX/MOVSX into 16/32/64-bit registers, MOVSXD with and without REX.W',
    generate: generateMovx,
  },
  {
    name: 'mov64',
    description:
      '64-bit mode: MOV 88-8B, C6/C7, B0+r/B8+r (imm64), A0-A3 (moffs64, moffs32 under 67); 32-bit writes zero-extend',
    generate: generateMov,
  },
  {
    name: 'lea64',
    description:
      '64-bit mode: LEA into 16/32/64-bit registers in every addressing form (RIP-relative, SIB with REX.X/B, 67, segment overrides); register operand (#UD)',
    generate: generateLea,
  },
  { name: 'convert64', description: '64-bit mode: CBW CWDE CDQE CWD CDQ CQO', generate: generateConvert },
  {
    name: 'xlat64',
    description: '64-bit mode: XLAT with RBX, REX.W, EBX (67) and a GS override',
    generate: generateXlat,
  },
];
