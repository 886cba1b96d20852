// 64-bit conditions and flags: SETcc (incl. SPL..DIL, R8B-R15B), CMOVcc at 16/32/64 bits (a
// 32-bit CMOVcc clears the upper half even when the condition is false), Jcc rel8/rel32,
// JRCXZ/JECXZ (67), LOOP/LOOPE/LOOPNE with RCX or ECX (67); LAHF/SAHF, CLC STC CMC CLD STD,
// PUSHF/POPF at 64 and 16 bits (66).

import type { Family64 } from '../record64.ts';
import type { Rng } from '../lib/rng.ts';
import { LAYOUT } from '../fixture-format.ts';
import { CF, DF, OF, PF, SF, ZF, AF } from '../../fixtures/cpu/undefined-flags.ts';
import { builder } from './alu.ts';
import {
  Builder64,
  RAX,
  RCX,
  RSP,
  encode,
  grouped,
  regName64,
  sizePre,
  u64,
  value64,
  type CaseSpec64,
  type Size64,
} from '../lib/x86-64.ts';

const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
const COND_FLAGS = [CF, PF, ZF, SF, OF];
const MOV_AL_1 = [0xb0, 0x01];

function withCombo(b: Builder64, combo: number): Builder64 {
  let on = 0;
  COND_FLAGS.forEach((f, i) => {
    if (combo & (1 << i)) on |= f;
  });
  return b.flags(on, COND_FLAGS.reduce((a, f) => a | f, 0) & ~on);
}

function generateCond(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (let cc = 0; cc < 16; cc++) {
    // Each encoding runs with all 32 combinations of the five condition flags.
    out.push(
      ...grouped(rng, `setcc/${cc}`, 6, 32, (s, _g, combo) => {
        const b = withCombo(builder(rng, s, 8), combo);
        const op = b.rm(8, 0.3);
        b.put(8, op, u64(rng));
        return b.build(
          `set${CC[cc]} ${op.text}`,
          'SETcc',
          { size: 8 },
          encode({ opcode: [0x0f, 0x90 + cc], reg: 0, op }),
        );
      }),
    );
    for (const size of [16, 32, 64] as Size64[])
      out.push(
        ...grouped(rng, `cmov/${cc}/${size}`, 4, 32, (s, _g, combo) => {
          const b = withCombo(new Builder64(rng, s), combo);
          const d = b.pickReg(size, true);
          b.set(64, d, u64(rng));
          const op = b.rm(size, 0.3);
          b.put(size, op, value64(rng, size));
          return b.build(
            `cmov${CC[cc]} ${regName64(size, d)},${op.text}`,
            'CMOVcc',
            { size },
            encode({ ...sizePre(size), opcode: [0x0f, 0x40 + cc], reg: d, op }),
          );
        }),
      );
    for (const near of [false, true])
      for (let combo = 0; combo < 32; combo++) {
        const b = withCombo(new Builder64(rng), combo);
        b.set(8, RAX, 0n);
        const jump = near ? [0x0f, 0x80 + cc, 0x02, 0x00, 0x00, 0x00] : [0x70 + cc, 0x02];
        out.push(
          b.build(`j${CC[cc]} ${near ? 'near ' : ''}+2; mov al,1`, 'Jcc', { size: 64 }, [
            ...jump,
            ...MOV_AL_1,
          ]),
        );
      }
  }
  const counters = (r: Rng): bigint =>
    r.pick([
      0n,
      1n,
      2n,
      0xffff_ffffn,
      0x1_0000_0000n,
      0x1_0000_0001n,
      0xffff_ffff_ffff_ffffn,
      u64(r),
      u64(r) & 0xffff_ffffn,
      BigInt(r.int(0, 5)),
    ]);
  for (const a32 of [false, true])
    for (const [name, opcode] of [
      ['JECXZ', 0xe3],
      ['LOOP', 0xe2],
      ['LOOPE', 0xe1],
      ['LOOPNE', 0xe0],
    ] as const)
      for (let i = 0; i < 120; i++) {
        const b = new Builder64(rng);
        b.set(8, RAX, 0n).set(64, RCX, counters(rng));
        if (rng.chance(0.5)) b.flags(ZF);
        else b.flags(0, ZF);
        const asm =
          name === 'JECXZ' ? (a32 ? 'jecxz' : 'jrcxz') : `${name.toLowerCase()}${a32 ? ' (ecx)' : ''}`;
        out.push(
          b.build(`${asm} +2; mov al,1`, name, { size: 64 }, [
            ...(a32 ? [0x67] : []),
            opcode,
            0x02,
            ...MOV_AL_1,
          ]),
        );
      }
  return out;
}

function generateFlags(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (let i = 0; i < 100; i++)
    out.push(new Builder64(rng).set(64, RAX, u64(rng)).build('lahf', 'LAHF', { size: 8 }, [0x9f]));
  for (let ah = 0; ah < 256; ah++)
    out.push(new Builder64(rng).set(8, 16, BigInt(ah)).build('sahf', 'SAHF', { size: 8 }, [0x9e]));
  for (const [name, opcode] of [
    ['CLC', 0xf8],
    ['STC', 0xf9],
    ['CMC', 0xf5],
    ['CLD', 0xfc],
    ['STD', 0xfd],
  ] as const)
    for (let i = 0; i < 40; i++) {
      const b = new Builder64(rng);
      if (i % 2) b.flags(name === 'CLD' || name === 'STD' ? DF : CF);
      out.push(b.build(name.toLowerCase(), name, { size: 32 }, [opcode]));
    }
  // PUSHF/POPF: 64-bit by default, 16-bit with 66 (SDM Vol. 2B PUSHF/PUSHFQ, POPF/POPFQ).
  // Popped values keep IF = 1 and IOPL, TF, AC, NT = 0 (see README); the reserved bits vary.
  for (const size of [64, 16] as const) {
    const bytes = size / 8;
    for (let i = 0; i < 150; i++) {
      const b = new Builder64(rng);
      const o = rng.int(bytes, LAYOUT.memSize - bytes);
      b.memory();
      b.set(64, RSP, BigInt(LAYOUT.memBase + o));
      out.push(
        b.build(size === 16 ? 'pushf (66)' : 'pushfq', 'PUSHF', { size }, [
          ...(size === 16 ? [0x66] : []),
          0x9c,
        ]),
      );
    }
    for (let i = 0; i < 250; i++) {
      const b = new Builder64(rng);
      const o = rng.int(0, LAYOUT.memSize - bytes);
      const status = CF | PF | AF | ZF | SF | OF | DF;
      const reserved = (1 << 1) | (1 << 3) | (1 << 5) | (1 << 15);
      const v = (rng.u32() & (status | reserved)) | (1 << 9);
      b.write(o, bytes, BigInt(size === 64 ? v >>> 0 : v & 0xffff));
      b.set(64, RSP, BigInt(LAYOUT.memBase + o));
      out.push(
        b.build(size === 16 ? 'popf (66)' : 'popfq', 'POPF', { size }, [
          ...(size === 16 ? [0x66] : []),
          0x9d,
        ]),
      );
    }
  }
  return out;
}

export const COND64_FAMILIES: Family64[] = [
  {
    name: 'cond64',
    description:
      '64-bit mode: SETcc, CMOVcc 16/32/64 (all 32 flag combinations per encoding), Jcc rel8/rel32, JRCXZ/JECXZ, LOOP/LOOPE/LOOPNE with RCX and ECX (67)',
    generate: generateCond,
  },
  {
    name: 'flags64',
    description: '64-bit mode: LAHF, SAHF (all AH), CLC STC CMC CLD STD, PUSHF/POPF 64- and 16-bit',
    generate: generateFlags,
  },
];
