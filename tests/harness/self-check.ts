// Checks of freshly recorded fixtures against facts we know independently of the host, so a
// harness bug (a flag lost in the trampoline, registers printed in the wrong order, a bad
// parser) cannot slip into committed fixtures: an independent model of the eight ALU
// operations on register/immediate operands, "a zero count changes nothing" for shifts, the
// exceptions each family may raise, and the host behaviour undefined-flags.ts notes.

import {
  EFLAGS_RECORDED,
  REGISTERS,
  compareMasks,
  flagNames,
  hex32,
  type FixtureCase,
  type FixtureFile,
  type RegisterName,
  type Registers,
} from './fixture-format.ts';
import { AF, CF, OF, PF, SF, ZF } from '../fixtures/cpu/undefined-flags.ts';

/** Exceptions a family is designed to raise; any other is a generator bug. */
const EXPECTED_FAULTS: Record<string, readonly number[]> = {
  alu: [6], // LOCK on a register destination or CMP
  div: [0],
  bcd: [0], // AAM 0
  bound: [5],
  cmpxchg: [6], // register CMPXCHG8B
  lea: [6], // register LEA
};

const R32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;
type Size = 8 | 16 | 32;
const maskOf = (size: Size): number => (size === 32 ? 0xffffffff : (1 << size) - 1);

function readReg(r: Registers, size: Size, n: number): number {
  if (size === 8)
    return n < 4 ? r[R32[n] as keyof Registers] & 0xff : (r[R32[n - 4] as keyof Registers] >>> 8) & 0xff;
  return (r[R32[n] as keyof Registers] & maskOf(size)) >>> 0;
}

function parity(v: number): boolean {
  let x = v & 0xff;
  x ^= x >> 4;
  x ^= x >> 2;
  x ^= x >> 1;
  return (x & 1) === 0;
}

/** ADD OR ADC SBB AND SUB XOR CMP (SDM Vol. 2 Operation sections), result and status flags. */
function aluModel(
  op: number,
  size: Size,
  a: number,
  b: number,
  carryIn: boolean,
): { result: number; flags: number } {
  const m = maskOf(size);
  const sign = size === 32 ? 0x80000000 : 1 << (size - 1);
  const c = carryIn ? 1 : 0;
  let r: number;
  let flags = 0;
  const addLike = (sum: number, x: number, y: number): void => {
    r = ((sum % 0x1_0000_0000) & m) >>> 0;
    if (sum > m) flags |= CF;
    if ((x ^ r) & (y ^ r) & sign) flags |= OF;
    if ((x ^ y ^ r) & 0x10) flags |= AF;
  };
  const subLike = (borrow: number): void => {
    r = (a - b - borrow) & m;
    r >>>= 0;
    if (a < b + borrow) flags |= CF;
    if ((a ^ b) & (a ^ r) & sign) flags |= OF;
    if ((a ^ b ^ r) & 0x10) flags |= AF;
  };
  switch (op) {
    case 0:
      addLike(a + b, a, b);
      break;
    case 2:
      addLike(a + b + c, a, b);
      break;
    case 3:
      subLike(c);
      break;
    case 5:
    case 7:
      subLike(0);
      break;
    case 1:
      r = (a | b) >>> 0;
      break;
    case 4:
      r = (a & b) >>> 0;
      break;
    default:
      r = (a ^ b) >>> 0;
      break;
  }
  r = (r! & m) >>> 0;
  if (r === 0) flags |= ZF;
  if (r & sign) flags |= SF;
  if (parity(r)) flags |= PF;
  return { result: r, flags };
}

/** Check an ALU case whose operands are registers or an immediate (no memory, no LOCK). */
function checkAlu(c: FixtureCase): string | undefined {
  const code = [...c.code];
  let size: Size = 32;
  if (code[0] === 0x66) {
    size = 16;
    code.shift();
  }
  const opcode = code[0] as number;
  if (c.init.mem !== undefined || c.final.fault !== undefined) return undefined;
  let op: number;
  let dest: number | undefined; // encoding number of the destination register
  let a: number;
  let b: number;
  if (opcode < 0x40 && (opcode & 7) <= 5) {
    op = opcode >> 3;
    if ((opcode & 1) === 0) size = 8;
    if ((opcode & 7) >= 4) {
      dest = 0;
      a = readReg(c.init, size, 0);
      b = code.slice(1).reduce((v, byte, i) => v | (byte << (8 * i)), 0) >>> 0;
    } else {
      const modrm = code[1] as number;
      if (modrm >> 6 !== 3) return undefined;
      const reg = (modrm >> 3) & 7;
      const rm = modrm & 7;
      const toRm = (opcode & 2) === 0;
      dest = toRm ? rm : reg;
      a = readReg(c.init, size, dest);
      b = readReg(c.init, size, toRm ? reg : rm);
    }
  } else if (opcode >= 0x80 && opcode <= 0x83) {
    const modrm = code[1] as number;
    if (modrm >> 6 !== 3) return undefined;
    op = (modrm >> 3) & 7;
    if (opcode === 0x80 || opcode === 0x82) size = 8;
    dest = modrm & 7;
    a = readReg(c.init, size, dest);
    const immBytes = opcode === 0x81 ? size / 8 : 1;
    b = code.slice(2, 2 + immBytes).reduce((v, byte, i) => v | (byte << (8 * i)), 0) >>> 0;
    if (opcode === 0x83) b = (((b << 24) >> 24) & maskOf(size)) >>> 0;
  } else {
    return undefined;
  }
  const want = aluModel(op, size, a, b, (c.init.eflags & CF) !== 0);
  const mask = compareMasks(c).eflags & (CF | PF | AF | ZF | SF | OF);
  const got = c.final.eflags & mask;
  if (got !== (want.flags & mask))
    return `flags ${flagNames(got)}, model says ${flagNames(want.flags & mask)}`;
  if (
    (c.final.eflags & ~(CF | PF | AF | ZF | SF | OF)) !==
    (c.init.eflags & ~(CF | PF | AF | ZF | SF | OF) & EFLAGS_RECORDED)
  )
    return 'non-status EFLAGS bits changed';
  const result = op === 7 ? a : want.result;
  if (readReg(c.final, size, dest) !== result)
    return `result ${hex32(readReg(c.final, size, dest))}, model says ${hex32(result)}`;
  return undefined;
}

/** A shift, rotate or double shift by a masked count of 0 changes nothing (SDM: "the flags are not affected"). */
function checkZeroCount(c: FixtureCase): string | undefined {
  if (((c.ctx.count ?? 1) & 0x1f) !== 0) return undefined;
  for (const r of REGISTERS) if (c.final[r] !== c.init[r]) return `${r} changed by a zero count`;
  if (c.final.eflags !== c.init.eflags) return 'EFLAGS changed by a zero count';
  if (c.init.mem && c.final.mem && Buffer.compare(c.init.mem, c.final.mem) !== 0)
    return 'memory changed by a zero count';
  return undefined;
}

/** undefined-flags.ts notes that the host leaves a BSF/BSR destination alone for a zero source. */
function checkZeroScan(c: FixtureCase): string | undefined {
  const dest = c.ctx.dest as RegisterName | undefined; // 32-bit cases name eax..esp
  if (!c.ctx.sourceIsZero || dest === undefined) return undefined;
  if (c.final[dest] !== c.init[dest])
    return `destination changed for a zero source (update the hostNote in undefined-flags.ts)`;
  return undefined;
}

export function selfCheck(file: FixtureFile): string[] {
  const problems: string[] = [];
  const family = file.header.family;
  const allowed = EXPECTED_FAULTS[family] ?? [];
  for (const c of file.cases) {
    const where = `#${c.index} ${c.asm}`;
    if (c.final.fault !== undefined && !allowed.includes(c.final.fault))
      problems.push(`${where}: unexpected exception ${c.final.fault}`);
    let p: string | undefined;
    if (family === 'alu') p = checkAlu(c);
    if (family === 'shift' || family === 'shld') p = checkZeroCount(c);
    if (family === 'bsf') p = checkZeroScan(c);
    if (p) problems.push(`${where}: ${p}`);
  }
  for (const v of allowed)
    if (!file.cases.some((c) => c.final.fault === v))
      problems.push(`no case raised the expected exception ${v}`);
  return problems;
}
