// Decimal adjust: DAA/DAS over every AL with every CF/AF input, AAA/AAS over every AL with
// both AF inputs, AAM/AAD with base 10, other bases, and AAM 0 (#DE, SDM Vol. 2A "AAM").

import type { Family } from '../gen-cases.ts';
import type { Rng } from '../lib/rng.ts';
import { CaseBuilder, EAX, hex, type CaseSpec } from '../lib/x86.ts';
import { AF, CF } from '../../fixtures/cpu/undefined-flags.ts';

function adjustCase(
  rng: Rng,
  name: string,
  opcode: number,
  al: number,
  af: boolean,
  cf: boolean | undefined,
): CaseSpec {
  const b = new CaseBuilder(rng);
  b.set(8, EAX, al);
  b.flags(af ? AF : 0, af ? 0 : AF);
  if (cf !== undefined) b.flags(cf ? CF : 0, cf ? 0 : CF);
  return b.build(name.toLowerCase(), name, { size: 8 }, [opcode]);
}

function baseCase(rng: Rng, name: string, opcode: number, base: number, ax: number): CaseSpec {
  const b = new CaseBuilder(rng);
  b.set(16, EAX, ax);
  return b.build(base === 10 ? name.toLowerCase() : `${name.toLowerCase()} ${hex(base)}`, name, { size: 8 }, [
    opcode,
    base,
  ]);
}

function generateBcd(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (const [name, opcode] of [
    ['DAA', 0x27],
    ['DAS', 0x2f],
  ] as const) {
    for (let al = 0; al < 256; al++)
      for (const af of [false, true])
        for (const cf of [false, true]) out.push(adjustCase(rng, name, opcode, al, af, cf));
  }
  for (const [name, opcode] of [
    ['AAA', 0x37],
    ['AAS', 0x3f],
  ] as const) {
    // AH matters (it is incremented/decremented); CF is only an output.
    for (let al = 0; al < 256; al++)
      for (const af of [false, true])
        for (let rep = 0; rep < 2; rep++) out.push(adjustCase(rng, name, opcode, al, af, undefined));
  }
  for (const [name, opcode] of [
    ['AAM', 0xd4],
    ['AAD', 0xd5],
  ] as const) {
    for (let al = 0; al < 256; al++) out.push(baseCase(rng, name, opcode, 10, (rng.u32() & 0xff00) | al));
    for (let i = 0; i < 300; i++) {
      const base = rng.chance(0.2) ? rng.pick([1, 2, 0x10, 0x7f, 0x80, 0xff]) : rng.int(1, 255);
      out.push(baseCase(rng, name, opcode, base, rng.u32() & 0xffff));
    }
  }
  // AAM 0 divides by zero: #DE. AAD 0 is fine (AL = AL + AH * 0).
  for (let i = 0; i < 12; i++) out.push(baseCase(rng, 'AAM', 0xd4, 0, rng.u32() & 0xffff));
  for (let i = 0; i < 12; i++) out.push(baseCase(rng, 'AAD', 0xd5, 0, rng.u32() & 0xffff));
  return out;
}

export const BCD_FAMILIES: Family[] = [
  {
    name: 'bcd',
    description:
      'DAA DAS (all AL x CF x AF), AAA AAS (all AL x AF), AAM AAD (base 10, other bases, AAM 0 = #DE)',
    generate: generateBcd,
  },
];
