// Checks of freshly recorded 64-bit fixtures against facts known independently of the host
// (the 64-bit counterpart of self-check.ts): the exceptions each family may raise, "a zero
// count changes nothing" for shifts, and a model of the eight ALU operations on 64-bit
// register operands, which catches a trampoline that loses a register or a flag.

import { REGISTERS64, type FixtureCase64, type FixtureFile64 } from './fixture-format64.ts';
import { AF, CF, OF, PF, SF, ZF } from '../fixtures/cpu/undefined-flags.ts';

/** Exceptions a 64-bit family is designed to raise; any other is a generator bug. */
const EXPECTED_FAULTS64: Record<string, readonly number[]> = {
  alu64: [6], // 82 and LOCK on a register destination or CMP
  div64: [0],
  lea64: [6], // register LEA
  prefix64: [6], // LOCK on a register destination
  cmpxchg64: [6], // register CMPXCHG8B
  cmpxchg16b: [6, 13], // register form; a misaligned m128 (#GP(0), SDM Vol. 2A CMPXCHG16B)
  canonical64: [12, 13], // #SS(0) and #GP(0) for non-canonical addresses
  nop64: [6], // UD2
};

const M64 = (1n << 64n) - 1n;
const SIGN = 1n << 63n;
const STATUS = CF | PF | AF | ZF | SF | OF;

function parityEven(v: bigint): boolean {
  let x = Number(v & 0xffn);
  x ^= x >> 4;
  x ^= x >> 2;
  x ^= x >> 1;
  return (x & 1) === 0;
}

/** ADD OR ADC SBB AND SUB XOR CMP on 64-bit operands (SDM Vol. 2, each "Operation"). */
function alu64(op: number, a: bigint, b: bigint, carry: bigint): { r: bigint; flags: number } {
  let r: bigint;
  let flags = 0;
  if (op === 0 || op === 2) {
    const sum = a + b + (op === 2 ? carry : 0n);
    r = sum & M64;
    if (sum > M64) flags |= CF;
    if ((a ^ r) & (b ^ r) & SIGN) flags |= OF;
    if ((a ^ b ^ r) & 0x10n) flags |= AF;
  } else if (op === 3 || op === 5 || op === 7) {
    const borrow = op === 3 ? carry : 0n;
    r = (a - b - borrow) & M64;
    if (a < b + borrow) flags |= CF;
    if ((a ^ b) & (a ^ r) & SIGN) flags |= OF;
    if ((a ^ b ^ r) & 0x10n) flags |= AF;
  } else r = op === 1 ? a | b : op === 4 ? a & b : a ^ b;
  if (r === 0n) flags |= ZF;
  if (r & SIGN) flags |= SF;
  if (parityEven(r)) flags |= PF;
  return { r, flags };
}

/** REX.W 01/03/09/.../3B with a register ModRM: check result and flags against alu64(). */
function checkAlu(c: FixtureCase64): string | undefined {
  const [rex, opcode, modrm] = c.code;
  if (c.code.length !== 3 || rex === undefined || opcode === undefined || modrm === undefined)
    return undefined;
  if ((rex & 0xf8) !== 0x48 || opcode >= 0x40 || (opcode & 7) > 3 || (opcode & 1) === 0 || modrm >> 6 !== 3)
    return undefined;
  const reg = ((modrm >> 3) & 7) | ((rex & 4) << 1);
  const rm = (modrm & 7) | ((rex & 1) << 3);
  const toRm = (opcode & 2) === 0;
  const dest = toRm ? rm : reg;
  const a = c.init.regs[dest] as bigint;
  const b = c.init.regs[toRm ? reg : rm] as bigint;
  const op = opcode >> 3;
  const want = alu64(op, a, b, BigInt(c.init.rflags & CF));
  const mask = op === 1 || op === 4 || op === 6 ? STATUS & ~AF : STATUS;
  if ((c.final.rflags & mask) !== (want.flags & mask))
    return `flags ${c.final.rflags.toString(16)}, model says ${want.flags.toString(16)}`;
  const result = op === 7 ? a : want.r;
  if (c.final.regs[dest] !== result)
    return `${REGISTERS64[dest]} ${c.final.regs[dest]?.toString(16)}, model says ${result.toString(16)}`;
  return undefined;
}

/**
 * A shift or rotate by a masked count of 0 changes no flag and no value (SDM Vol. 2B
 * SAL/SAR/SHL/SHR); a 32-bit register destination is still written, so its upper half is
 * cleared (SDM Vol. 1 §3.4.1.1: 32-bit operands zero-extend in 64-bit mode).
 */
function checkZeroCount(c: FixtureCase64): string | undefined {
  const mask = c.ctx.size === 64 ? 0x3f : 0x1f;
  if (c.ctx.count === undefined || (c.ctx.count & mask) !== 0 || c.final.fault !== undefined)
    return undefined;
  const dest = c.ctx.size === 32 ? REGISTERS64.indexOf(c.ctx.dest as (typeof REGISTERS64)[number]) : -1;
  const expect = (n: number): bigint =>
    n === dest ? (c.init.regs[n] as bigint) & 0xffff_ffffn : (c.init.regs[n] as bigint);
  if (!c.final.regs.every((v, n) => v === expect(n)) || c.final.rflags !== c.init.rflags)
    return 'a zero count changed state';
  return undefined;
}

export function selfCheck64(file: FixtureFile64): string[] {
  const problems: string[] = [];
  const family = file.header.family;
  const allowed = EXPECTED_FAULTS64[family] ?? [];
  let aluChecked = 0;
  for (const c of file.cases) {
    const where = `#${c.index} ${c.asm}`;
    if (c.final.fault !== undefined && !allowed.includes(c.final.fault))
      problems.push(`${where}: unexpected exception ${c.final.fault}`);
    let p: string | undefined;
    if (family === 'alu64') {
      p = checkAlu(c);
      if (c.code.length === 3 && p === undefined) aluChecked++;
    }
    if (family === 'shift64' || family === 'shld64') p = checkZeroCount(c);
    if (p) problems.push(`${where}: ${p}`);
  }
  if (family === 'alu64' && aluChecked === 0)
    problems.push('no register-register case was checked against the ALU model');
  for (const v of allowed)
    if (!file.cases.some((c) => c.final.fault === v))
      problems.push(`no case raised the expected exception ${v}`);
  return problems;
}
