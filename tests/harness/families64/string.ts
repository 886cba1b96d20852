// 64-bit string instructions: MOVS CMPS STOS LODS SCAS b/w/d/q (REX.W), no prefix / REP /
// REPE / REPNE, DF 0 and 1, overlapping MOVS, 64-bit (RSI/RDI/RCX) and 32-bit (0x67:
// ESI/EDI/ECX, upper halves random) addressing, segment overrides on the source (ES/CS/SS/DS
// have base 0 in 64-bit mode, GS has LAYOUT64.gsBase).

import type { Family64 } from '../record64.ts';
import type { Rng } from '../lib/rng.ts';
import { LAYOUT } from '../fixture-format.ts';
import { LAYOUT64 } from '../fixture-format64.ts';
import { DF } from '../../fixtures/cpu/undefined-flags.ts';
import {
  Builder64,
  RAX,
  RCX,
  RDI,
  RSI,
  SIZES64,
  u64,
  value64,
  type CaseSpec64,
  type Size64,
} from '../lib/x86-64.ts';

type Op = 'MOVS' | 'CMPS' | 'STOS' | 'LODS' | 'SCAS';
const OPCODE: Record<Op, number> = { MOVS: 0xa4, CMPS: 0xa6, STOS: 0xaa, LODS: 0xac, SCAS: 0xae };
const USES_SI: Record<Op, boolean> = { MOVS: true, CMPS: true, STOS: false, LODS: true, SCAS: false };
const USES_DI: Record<Op, boolean> = { MOVS: true, CMPS: true, STOS: true, LODS: false, SCAS: true };
const SUFFIX: Record<Size64, string> = { 8: 'b', 16: 'w', 32: 'd', 64: 'q' };
const HALF = LAYOUT.memSize / 2;

function runStart(rng: Rng, lo: number, len: number, k: number, s: number, down: boolean): number {
  const span = Math.max(k, 1) * s;
  const first = rng.int(lo, lo + len - span);
  return down ? first + span - s : first;
}
const at = (start: number, i: number, s: number, down: boolean): number => start + (down ? -i : i) * s;

function stringCase(
  rng: Rng,
  op: Op,
  size: Size64,
  prefix: 0 | 0xf3 | 0xf2,
  down: boolean,
  a32: boolean,
  override: number,
): CaseSpec64 {
  const b = new Builder64(rng);
  const s = size / 8;
  const mem = b.memory();
  b.flags(down ? DF : 0, down ? 0 : DF);
  const k = prefix ? (rng.chance(0.1) ? 0 : rng.int(1, HALF / s)) : 1;
  const hi = (): bigint => (a32 ? u64(rng) & ~0xffff_ffffn : 0n);
  b.set(64, RCX, prefix ? hi() | BigInt(k) : u64(rng));
  b.set(64, RAX, u64(rng));
  const siLow = rng.chance(0.5);
  let si = runStart(rng, siLow ? 0 : HALF, HALF, k, s, down);
  let di = runStart(rng, siLow ? HALF : 0, HALF, k, s, down);
  if (op === 'MOVS' && rng.chance(0.2)) {
    const kk = Math.min(Math.max(k, 1), LAYOUT.memSize / s - 2);
    if (prefix) b.set(64, RCX, hi() | BigInt(kk));
    const delta = rng.pick([-2, -1, 1, 2]) * s;
    si = runStart(rng, Math.max(0, -delta), LAYOUT.memSize - Math.abs(delta), kk, s, down);
    di = si + delta;
  }
  const kk = Math.max(k, 1);
  const j = rng.int(0, kk - 1);
  if (op === 'CMPS') {
    const mode = rng.int(0, 3);
    if (mode === 1 || mode === 2)
      for (let i = 0; i < kk; i++)
        for (let x = 0; x < s; x++) mem[at(di, i, s, down) + x] = mem[at(si, i, s, down) + x] as number;
    if (mode === 2) mem[at(di, j, s, down) + rng.int(0, s - 1)] ^= 1 << rng.int(0, 7);
    if (mode === 3)
      for (let x = 0; x < s; x++) mem[at(di, j, s, down) + x] = mem[at(si, j, s, down) + x] as number;
  }
  if (op === 'SCAS') {
    const acc = value64(rng, size);
    b.set(size, RAX, acc);
    const mode = rng.int(0, 3);
    for (let i = 0; i < kk; i++)
      if ((mode === 1 && i === j) || (mode === 2 && i < j) || mode === 3) b.write(at(di, i, s, down), s, acc);
  }
  const gs = override === 0x65 ? LAYOUT64.gsBase : 0;
  b.set(64, RSI, USES_SI[op] ? hi() | BigInt(LAYOUT.memBase + si - gs) : u64(rng));
  b.set(64, RDI, USES_DI[op] ? hi() | BigInt(LAYOUT.memBase + di) : u64(rng));
  const code = [
    ...(prefix ? [prefix] : []),
    ...(override ? [override] : []),
    ...(a32 ? [0x67] : []),
    ...(size === 16 ? [0x66] : []),
    ...(size === 64 ? [0x48] : []),
    OPCODE[op] + (size === 8 ? 0 : 1),
  ];
  const rep =
    prefix === 0 ? '' : prefix === 0xf2 ? 'repne ' : op === 'CMPS' || op === 'SCAS' ? 'repe ' : 'rep ';
  const seg = override
    ? `${({ 0x26: 'es', 0x2e: 'cs', 0x36: 'ss', 0x3e: 'ds', 0x65: 'gs' } as Record<number, string>)[override]} `
    : '';
  return b.build(
    `${rep}${seg}${op.toLowerCase()}${SUFFIX[size]}${a32 ? ' (67)' : ''}${down ? ' (df=1)' : ''}`,
    op,
    { size },
    code,
  );
}

function generateString(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const op of ['MOVS', 'CMPS', 'STOS', 'LODS', 'SCAS'] as const) {
    const prefixes: (0 | 0xf3 | 0xf2)[] = op === 'CMPS' || op === 'SCAS' ? [0, 0xf3, 0xf2] : [0, 0xf3];
    for (const size of SIZES64)
      for (const prefix of prefixes)
        for (const down of [false, true])
          for (const a32 of [false, true])
            for (let i = 0; i < (prefix === 0 ? 16 : 36); i++) {
              const override = USES_SI[op] && rng.chance(0.15) ? rng.pick([0x26, 0x2e, 0x36, 0x3e, 0x65]) : 0;
              out.push(stringCase(rng, op, size, prefix, down, a32, override));
            }
  }
  return out;
}

export const STRING64_FAMILIES: Family64[] = [
  {
    name: 'string64',
    description:
      '64-bit mode: MOVS CMPS STOS LODS SCAS b/w/d/q, none/REP/REPE/REPNE, DF 0/1, 64- and 32-bit (67) addressing, overlapping MOVS, segment overrides incl. GS',
    generate: generateString,
  },
];
