// Condition codes and flag instructions. Every condition (SDM Vol. 1 Appendix B, Table B-1)
// is tried against all 32 combinations of the flags conditions read (CF PF ZF SF OF), through
// SETcc, CMOVcc and Jcc; a Jcc case is `jcc +2; mov al, 1`, so AL says whether it jumped.
// Also JECXZ/JCXZ, LOOP/LOOPE/LOOPNE with 32- and 16-bit counters, LAHF/SAHF, CLC/STC/CMC,
// CLD/STD.

import type { Family } from '../gen-cases.ts';
import type { Rng } from '../lib/rng.ts';
import { CaseBuilder, EAX, ECX, modrmBytes, regName, value, type CaseSpec, type Size } from '../lib/x86.ts';
import { CF, DF, OF, PF, SF, ZF } from '../../fixtures/cpu/undefined-flags.ts';

const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
const COND_FLAGS = [CF, PF, ZF, SF, OF];
const MOV_AL_1 = [0xb0, 0x01];

/** Status flags from a 5-bit combination (CF PF ZF SF OF), other status bits random. */
function withCombo(b: CaseBuilder, combo: number): CaseBuilder {
  let on = 0;
  COND_FLAGS.forEach((f, i) => {
    if (combo & (1 << i)) on |= f;
  });
  return b.flags(on, COND_FLAGS.reduce((a, f) => a | f, 0) & ~on);
}

function generateCond(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (let cc = 0; cc < 16; cc++) {
    for (let combo = 0; combo < 32; combo++) {
      // SETcc r/m8 (0F 90+cc; ModRM.reg is ignored, 0 by convention).
      let b = withCombo(new CaseBuilder(rng), combo);
      let op = b.rm(8, combo % 4 === 0 ? 1 : 0);
      b.put(8, op, rng.u32());
      out.push(
        b.build(`set${CC[cc]} ${op.text}`, 'SETcc', { size: 8 }, [0x0f, 0x90 + cc, ...modrmBytes(0, op)]),
      );

      // CMOVcc r32, r/m32 (0F 40+cc), and r16 for half the combinations.
      for (const size of combo % 2 ? [32] : ([32, 16] as Size[])) {
        b = withCombo(new CaseBuilder(rng), combo);
        const d = rng.int(0, 7);
        b.set(32, d, value(rng, 32));
        op = b.rm(size as Size, combo % 4 === 1 ? 1 : 0);
        b.put(size as Size, op, value(rng, size as Size));
        out.push(
          b.build(`cmov${CC[cc]} ${regName(size as Size, d)},${op.text}`, 'CMOVcc', { size: size as Size }, [
            ...(size === 16 ? [0x66] : []),
            0x0f,
            0x40 + cc,
            ...modrmBytes(d, op),
          ]),
        );
      }

      // Jcc rel8 and Jcc rel32 over `mov al, 1`.
      for (const near of [false, true]) {
        b = withCombo(new CaseBuilder(rng), combo);
        b.set(8, EAX, 0);
        const jump = near ? [0x0f, 0x80 + cc, 0x02, 0x00, 0x00, 0x00] : [0x70 + cc, 0x02];
        out.push(
          b.build(`j${CC[cc]} ${near ? 'near ' : ''}+2; mov al,1`, 'Jcc', { size: 32 }, [
            ...jump,
            ...MOV_AL_1,
          ]),
        );
      }
    }
  }
  // JECXZ/JCXZ and LOOP/LOOPE/LOOPNE over `mov al, 1`; 0x67 selects CX instead of ECX.
  const counters = (rng2: Rng): number =>
    rng2.pick([0, 1, 2, 0xffffffff, 0x10000, 0x10001, 0xffff0000, rng2.u32(), rng2.u32() & 0xffff]);
  for (const a16 of [false, true]) {
    for (const [name, opcode] of [
      ['JECXZ', 0xe3],
      ['LOOP', 0xe2],
      ['LOOPE', 0xe1],
      ['LOOPNE', 0xe0],
    ] as const) {
      for (let i = 0; i < (a16 ? 30 : 60); i++) {
        const b = new CaseBuilder(rng);
        b.set(8, EAX, 0).set(32, ECX, counters(rng));
        if (rng.chance(0.5)) b.flags(ZF);
        else b.flags(0, ZF);
        const asm = a16 ? (name === 'JECXZ' ? 'jcxz' : `${name.toLowerCase()} (cx)`) : name.toLowerCase();
        out.push(
          b.build(`${asm} +2; mov al,1`, name, { size: 32 }, [
            ...(a16 ? [0x67] : []),
            opcode,
            0x02,
            ...MOV_AL_1,
          ]),
        );
      }
    }
  }
  return out;
}

function generateFlags(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (let i = 0; i < 100; i++) {
    const b = new CaseBuilder(rng);
    b.set(32, EAX, rng.u32());
    out.push(b.build('lahf', 'LAHF', { size: 8 }, [0x9f]));
  }
  for (let ah = 0; ah < 256; ah++) {
    // SAHF loads SF ZF AF PF CF from AH bits 7 6 4 2 0; bits 5, 3 and 1 are ignored.
    const b = new CaseBuilder(rng);
    b.set(8, 4, ah);
    out.push(b.build('sahf', 'SAHF', { size: 8 }, [0x9e]));
  }
  for (const [name, opcode] of [
    ['CLC', 0xf8],
    ['STC', 0xf9],
    ['CMC', 0xf5],
    ['CLD', 0xfc],
    ['STD', 0xfd],
  ] as const) {
    for (let i = 0; i < 40; i++) {
      const b = new CaseBuilder(rng);
      if (i % 2) b.flags(name === 'CLD' || name === 'STD' ? DF : CF);
      out.push(b.build(name.toLowerCase(), name, { size: 32 }, [opcode]));
    }
  }
  return out;
}

export const CONTROL_FAMILIES: Family[] = [
  {
    name: 'cond',
    description:
      'SETcc, CMOVcc (16/32-bit, register and memory), Jcc rel8/rel32 for all 16 conditions x 32 flag combinations; JECXZ/JCXZ, LOOP/LOOPE/LOOPNE (ECX and CX)',
    generate: generateCond,
  },
  { name: 'flags', description: 'LAHF, SAHF (all AH), CLC STC CMC CLD STD', generate: generateFlags },
];
