// The 64-bit side of the recorded real-CPU fixtures: files whose header says `"mode":"64"`
// hold cases the host ran in 64-bit mode (IA-32e, CS.L = 1) at CPL 3. Same file structure as
// the 32-bit ones (fixture-format.ts): JSON lines, a header, sparse cases. The differences:
// the sixteen registers RAX..R15 in ModRM encoding order as 16-digit hex strings, `rflags`
// for `eflags`, and a GS base (LAYOUT64.gsBase) for the GS-override cases. Loaded register
// values are BigUint64Arrays indexed by encoding number (RAX 0 ... R15 15).

import { readFileSync } from 'node:fs';
import {
  EFLAGS_RECORDED,
  FIXTURE_DIR,
  FIXTURE_FORMAT,
  LAYOUT,
  bytesToHex,
  flagNames,
  hex32,
  parseFixtureText,
  type FixtureFile,
  type HostInfo,
} from './fixture-format.ts';
import { undefinedEffects, type UndefinedContext } from '../fixtures/cpu/undefined-flags.ts';

/** The general registers in ModRM/REX encoding order (SDM Vol. 2A §2.2.1.2, Table 2-4). */
export const REGISTERS64 = [
  'rax',
  'rcx',
  'rdx',
  'rbx',
  'rsp',
  'rbp',
  'rsi',
  'rdi',
  'r8',
  'r9',
  'r10',
  'r11',
  'r12',
  'r13',
  'r14',
  'r15',
] as const;
export type Register64Name = (typeof REGISTERS64)[number];
export const RSP = 4;

/**
 * The 32-bit layout, plus the GS base the 64-bit runner sets with arch_prctl(ARCH_SET_GS):
 * x86-64 Linux leaves GS to user space (glibc's TLS is FS), so GS-override cases see this
 * base; FS (the TLS base, a process fact) is never used. CS, DS, ES and SS have base 0.
 */
export const LAYOUT64 = { ...LAYOUT, gsBase: 0x0001_0000 } as const;

/** Recognisable defaults with all 64 bits set to a pattern, so a lost upper half stands out. */
export const DEFAULT_REGISTERS64: BigUint64Array = BigUint64Array.from(REGISTERS64, (_, n) =>
  n === RSP
    ? BigInt(LAYOUT.scratchSp)
    : ((0x8a9b_acbdn + BigInt(n) * 0x0101_0101n) << 32n) | BigInt(0x1020_3040 + n * 0x0101_0101),
);
export const DEFAULT_RFLAGS = (1 << 9) | (1 << 1);

export interface CpuState64 {
  /** RAX..R15 by encoding number. */
  regs: BigUint64Array;
  rflags: number;
  mem?: Uint8Array;
}

export interface FinalState64 extends CpuState64 {
  fault?: number;
  /** Byte offset of the faulting instruction from LAYOUT.codeBase. */
  faultOffset?: number;
}

type RegKey = Register64Name | 'rflags';

export interface FixtureHeader64 {
  format: typeof FIXTURE_FORMAT;
  mode: '64';
  family: string;
  description: string;
  host: HostInfo;
  recorded: string;
  seed: string;
  layout: typeof LAYOUT64;
  defaults: Record<RegKey, string>;
  cases: number;
}

export interface StoredCase64 {
  asm: string;
  m: string;
  ctx: UndefinedContext;
  code: string;
  init: Partial<Record<RegKey, string>> & { mem?: string };
  final: Partial<Record<RegKey, string>> & {
    rflags: string;
    memPatch?: [number, string][];
    fault?: number;
    faultOffset?: number;
  };
}

export interface FixtureCase64 {
  mode: '64';
  family: string;
  index: number;
  asm: string;
  mnemonic: string;
  ctx: UndefinedContext;
  code: Uint8Array;
  init: CpuState64;
  final: FinalState64;
}

export interface FixtureFile64 {
  mode: '64';
  header: FixtureHeader64;
  cases: FixtureCase64[];
}

export type AnyFixtureFile = (FixtureFile & { mode: '32' }) | FixtureFile64;

export const hex64 = (v: bigint): string => BigInt.asUintN(64, v).toString(16).padStart(16, '0');
const parse64 = (s: string): bigint => {
  if (!/^[0-9a-f]{1,16}$/.test(s)) throw new Error(`bad register value ${JSON.stringify(s)}`);
  return BigInt(`0x${s}`);
};
const hexToBytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

export function parseFixtureText64(text: string): FixtureFile64 {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const header = JSON.parse(lines[0] ?? 'null') as FixtureHeader64;
  if (header?.format !== FIXTURE_FORMAT || header.mode !== '64')
    throw new Error(`not a 64-bit ${FIXTURE_FORMAT} file`);
  const defaults = BigUint64Array.from(REGISTERS64, (r) => parse64(header.defaults[r]));
  const defaultFlags = Number(parse64(header.defaults.rflags));
  const cases = lines.slice(1).map((line, index): FixtureCase64 => {
    const s = JSON.parse(line) as StoredCase64;
    const init: CpuState64 = { regs: new BigUint64Array(defaults), rflags: defaultFlags };
    REGISTERS64.forEach((r, n) => {
      const v = s.init[r];
      if (v !== undefined) init.regs[n] = parse64(v);
    });
    if (s.init.rflags !== undefined) init.rflags = Number(parse64(s.init.rflags));
    if (s.init.mem !== undefined) init.mem = hexToBytes(s.init.mem);
    const final: FinalState64 = {
      regs: new BigUint64Array(init.regs),
      rflags: Number(parse64(s.final.rflags)),
    };
    REGISTERS64.forEach((r, n) => {
      const v = s.final[r];
      if (v !== undefined) final.regs[n] = parse64(v);
    });
    if (init.mem !== undefined) {
      final.mem = new Uint8Array(init.mem);
      for (const [off, bytes] of s.final.memPatch ?? []) final.mem.set(hexToBytes(bytes), off);
    } else if (s.final.memPatch !== undefined) {
      throw new Error(`${header.family}#${index}: memPatch without init.mem`);
    }
    if (s.final.fault !== undefined) {
      final.fault = s.final.fault;
      final.faultOffset = s.final.faultOffset;
    }
    return {
      mode: '64',
      family: header.family,
      index,
      asm: s.asm,
      mnemonic: s.m,
      ctx: s.ctx,
      code: hexToBytes(s.code),
      init,
      final,
    };
  });
  if (cases.length !== header.cases)
    throw new Error(`${header.family}: header says ${header.cases} cases, file has ${cases.length}`);
  return { mode: '64', header, cases };
}

/** Parse a fixture file of either mode (the header's `mode`; files without one are 32-bit). */
export function parseAnyFixtureText(text: string): AnyFixtureFile {
  const first = JSON.parse(text.slice(0, text.indexOf('\n'))) as { mode?: string };
  if (first.mode === '64') return parseFixtureText64(text);
  return { ...parseFixtureText(text), mode: '32' };
}

/** Load tests/fixtures/cpu/<family>.jsonl, 32- or 64-bit. */
export function loadAnyFixtures(family: string): AnyFixtureFile {
  return parseAnyFixtureText(readFileSync(`${FIXTURE_DIR}${family}.jsonl`, 'utf8'));
}

const ALL64 = (1n << 64n) - 1n;

export interface CompareMasks64 {
  eflags: number;
  regs: BigUint64Array;
  mem: Uint8Array;
}

/**
 * Which bits of a 64-bit case's final state must match. An undefined 32-bit result masks the
 * whole register: whether the upper half is zeroed along with an undefined lower half is not
 * something the SDM says either.
 */
export function compareMasks64(c: FixtureCase64): CompareMasks64 {
  const u = undefinedEffects(c.mnemonic, c.ctx);
  const regs = new BigUint64Array(16).fill(ALL64);
  const mem = new Uint8Array(LAYOUT.memSize).fill(0xff);
  if (u.result && c.final.fault === undefined) {
    const n = REGISTERS64.indexOf(c.ctx.dest as Register64Name);
    if (n >= 0) regs[n] = c.ctx.size >= 32 ? 0n : ALL64 ^ ((1n << BigInt(c.ctx.size)) - 1n);
    if (c.ctx.destMem !== undefined) mem.fill(0, c.ctx.destMem, c.ctx.destMem + c.ctx.size / 8);
  }
  const undefinedFlags = c.final.fault === undefined ? u.flags : 0;
  return { eflags: EFLAGS_RECORDED & ~undefinedFlags, regs, mem };
}

/** diffOutcome for 64-bit cases: one line per difference, empty when they agree. */
export function diffOutcome64(c: FixtureCase64, actual: FinalState64): string[] {
  const m = compareMasks64(c);
  const out: string[] = [];
  const want = c.final;
  if (want.fault !== actual.fault)
    out.push(`fault: want ${want.fault ?? 'none'}, got ${actual.fault ?? 'none'}`);
  if (want.fault !== undefined && actual.fault !== undefined && want.faultOffset !== actual.faultOffset)
    out.push(`faultOffset: want ${want.faultOffset}, got ${actual.faultOffset}`);
  REGISTERS64.forEach((r, n) => {
    const mask = m.regs[n] as bigint;
    if (((want.regs[n] as bigint) ^ (actual.regs[n] as bigint)) & mask)
      out.push(`${r}: want ${hex64(want.regs[n] as bigint)}, got ${hex64(actual.regs[n] as bigint)}`);
  });
  const flagDiff = (want.rflags ^ actual.rflags) & m.eflags;
  if (flagDiff !== 0)
    out.push(
      `rflags: want ${hex32(want.rflags & m.eflags)}, got ${hex32(actual.rflags & m.eflags)} (differ in ${flagNames(flagDiff)})`,
    );
  if (want.mem !== undefined) {
    const got = actual.mem;
    for (let i = 0; i < want.mem.length; i++) {
      if (got === undefined || ((want.mem[i] as number) ^ (got[i] as number)) & (m.mem[i] as number)) {
        out.push(
          `mem: first difference at +${i}: want ${bytesToHex(want.mem)}, got ${got ? bytesToHex(got) : 'none'}`,
        );
        break;
      }
    }
  }
  return out;
}
