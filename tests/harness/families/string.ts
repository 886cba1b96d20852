// String instructions on the memory buffer: MOVS CMPS STOS LODS SCAS in byte/word/dword
// size, without prefix, with REP/REPE (F3) and, for CMPS/SCAS, REPNE (F2), with DF = 0 and
// DF = 1 (SDM Vol. 2B "REP/REPE/REPZ/REPNE/REPNZ"). Element runs are placed so every access
// stays inside the buffer whatever the termination; MOVS also runs with overlapping source
// and destination, and a DS/ES/SS segment override now and then (all flat here).

import type { Family } from '../gen-cases.ts';
import type { Rng } from '../lib/rng.ts';
import { LAYOUT } from '../fixture-format.ts';
import {
  CaseBuilder,
  EAX,
  ECX,
  EDI,
  ESI,
  SIZES,
  osize,
  value,
  type CaseSpec,
  type Size,
} from '../lib/x86.ts';
import { DF } from '../../fixtures/cpu/undefined-flags.ts';

type Op = 'MOVS' | 'CMPS' | 'STOS' | 'LODS' | 'SCAS';
const OPCODE: Record<Op, number> = { MOVS: 0xa4, CMPS: 0xa6, STOS: 0xaa, LODS: 0xac, SCAS: 0xae };
const USES_SI: Record<Op, boolean> = { MOVS: true, CMPS: true, STOS: false, LODS: true, SCAS: false };
const USES_DI: Record<Op, boolean> = { MOVS: true, CMPS: true, STOS: true, LODS: false, SCAS: true };
const SUFFIX: Record<Size, string> = { 8: 'b', 16: 'w', 32: 'd' };
const HALF = LAYOUT.memSize / 2;

/**
 * Start offset of a run of k elements of s bytes inside [lo, lo + len), walking up (DF = 0)
 * or down (DF = 1) from the start.
 */
function runStart(rng: Rng, lo: number, len: number, k: number, s: number, down: boolean): number {
  const span = Math.max(k, 1) * s;
  const first = rng.int(lo, lo + len - span);
  return down ? first + span - s : first;
}

/** Offset of element i of a run. */
const at = (start: number, i: number, s: number, down: boolean): number => start + (down ? -i : i) * s;

function stringCase(rng: Rng, op: Op, size: Size, prefix: 0 | 0xf3 | 0xf2, down: boolean): CaseSpec {
  const b = new CaseBuilder(rng);
  const s = size / 8;
  const mem = b.memory();
  b.flags(down ? DF : 0, down ? 0 : DF);
  const maxK = HALF / s;
  const k = prefix ? (rng.chance(0.1) ? 0 : rng.int(1, maxK)) : 1;
  b.set(32, ECX, prefix ? k : rng.u32());
  b.set(32, EAX, rng.u32());

  let si: number;
  let di: number;
  if (op === 'MOVS' && rng.chance(0.2)) {
    // Overlapping MOVS: the destination trails or leads the source by one or two elements.
    const kk = Math.min(Math.max(k, 1), LAYOUT.memSize / s - 2);
    if (prefix) b.set(32, ECX, kk);
    const delta = rng.pick([-2, -1, 1, 2]) * s;
    const lo = Math.max(0, -delta);
    const len = LAYOUT.memSize - Math.abs(delta);
    si = runStart(rng, lo, len, kk, s, down);
    di = si + delta;
  } else {
    const siLow = rng.chance(0.5);
    si = runStart(rng, siLow ? 0 : HALF, HALF, k, s, down);
    di = runStart(rng, siLow ? HALF : 0, HALF, k, s, down);
  }

  // Contents that make REPE/REPNE stop somewhere interesting.
  const kk = Math.max(k, 1);
  const j = rng.int(0, kk - 1);
  const copy = (from: number, to: number): void => {
    for (let i = 0; i < kk; i++)
      for (let x = 0; x < s; x++) mem[at(to, i, s, down) + x] = mem[at(from, i, s, down) + x] as number;
  };
  if (op === 'CMPS') {
    const mode = rng.int(0, 3); // 0 random, 1 equal, 2 equal but element j, 3 random but element j equal
    if (mode === 1 || mode === 2) copy(si, di);
    if (mode === 2) mem[at(di, j, s, down) + rng.int(0, s - 1)] ^= 1 << rng.int(0, 7);
    if (mode === 3)
      for (let x = 0; x < s; x++) mem[at(di, j, s, down) + x] = mem[at(si, j, s, down) + x] as number;
  }
  if (op === 'SCAS') {
    const acc = value(rng, size);
    b.set(size, EAX, acc);
    const mode = rng.int(0, 3); // 0 random, 1 element j matches, 2 elements before j match, 3 all match
    for (let i = 0; i < kk; i++) {
      const hit = (mode === 1 && i === j) || (mode === 2 && i < j) || mode === 3;
      if (hit) b.write(at(di, i, s, down), s, acc);
    }
  }
  b.set(32, ESI, LAYOUT.memBase + si).set(32, EDI, LAYOUT.memBase + di);
  if (!USES_SI[op]) b.set(32, ESI, rng.u32());
  if (!USES_DI[op]) b.set(32, EDI, rng.u32());

  // A segment override applies to the DS:ESI operand only; ES:EDI cannot be overridden.
  const override = USES_SI[op] && rng.chance(0.1) ? rng.pick([0x26, 0x36, 0x3e]) : 0;
  const code = [
    ...(prefix ? [prefix] : []),
    ...(override ? [override] : []),
    ...osize(size),
    OPCODE[op] + (size === 8 ? 0 : 1),
  ];
  const rep =
    prefix === 0 ? '' : prefix === 0xf2 ? 'repne ' : op === 'CMPS' || op === 'SCAS' ? 'repe ' : 'rep ';
  const seg = override ? `${{ 0x26: 'es', 0x36: 'ss', 0x3e: 'ds' }[override]} ` : '';
  return b.build(
    `${rep}${seg}${op.toLowerCase()}${SUFFIX[size]}${down ? ' (df=1)' : ''}`,
    op,
    { size },
    code,
  );
}

function generateString(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (const op of ['MOVS', 'CMPS', 'STOS', 'LODS', 'SCAS'] as const) {
    const prefixes: (0 | 0xf3 | 0xf2)[] = op === 'CMPS' || op === 'SCAS' ? [0, 0xf3, 0xf2] : [0, 0xf3];
    for (const size of SIZES) {
      for (const prefix of prefixes) {
        for (const down of [false, true]) {
          const n = prefix === 0 ? 20 : 45;
          for (let i = 0; i < n; i++) out.push(stringCase(rng, op, size, prefix, down));
        }
      }
    }
  }
  return out;
}

export const STRING_FAMILIES: Family[] = [
  {
    name: 'string',
    description:
      'MOVS CMPS STOS LODS SCAS b/w/d, no prefix / REP / REPE / REPNE, DF 0 and 1, overlapping MOVS, segment overrides',
    generate: generateString,
  },
];
