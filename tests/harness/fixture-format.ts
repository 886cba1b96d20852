// The recorded real-CPU fixtures (tests/fixtures/cpu/<family>.jsonl): their on-disk format,
// the types a test sees after loading, and the comparison masks derived from the SDM's
// undefined flags (tests/fixtures/cpu/undefined-flags.ts).
//
// On disk a family is JSON lines: line 1 is a FixtureHeader, every further line one
// StoredCase. Stored cases are sparse to keep the files small: `init` lists only the
// registers that differ from `header.defaults`, `final` only the registers that differ from
// the initial state (EFLAGS always), and `final.memPatch` only the runs of buffer bytes that
// changed. Register values are hex strings without "0x". loadFixtures() expands all of
// that, so a test sees complete CpuStates.

import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  AF,
  CF,
  DF,
  OF,
  PF,
  SF,
  ZF,
  undefinedEffects,
  type UndefinedContext,
} from '../fixtures/cpu/undefined-flags.ts';

export const FIXTURE_FORMAT = 'wasmkvm-cpu-fixture/1';

/** The eight general registers, in the order the native runner reads and prints them. */
export const REGISTERS = ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp'] as const;
export type RegisterName = (typeof REGISTERS)[number];

/**
 * Where the recorded code and data lived in the host process (flat 32-bit segments, so
 * these are linear addresses), and so where an emulator must put them: register values
 * in the fixtures are absolute, e.g. ESI = memBase + 8 for a string case.
 */
export const LAYOUT = {
  /** The case's bytes start here; a fault's `faultOffset` counts from here. */
  codeBase: 0x0002_0000,
  /** The 64-byte memory buffer a case may read and write. */
  memBase: 0x0003_1000,
  memSize: 64,
  /**
   * The default ESP: a scratch stack below the buffer for cases that do not use the stack.
   * Nothing is recorded there; the host delivered its signals on another stack. An emulator
   * that delivers a fault through the guest IDT may push there freely.
   */
  scratchSp: 0x0003_0800,
} as const;

/**
 * Initial values of the registers a case does not set (recorded in every file header too):
 * recognisable patterns, so a register an emulator should not have touched stands out.
 */
export const DEFAULT_REGISTERS: Registers = {
  eax: 0x1020_3040,
  ebx: 0x1121_3141,
  ecx: 0x1222_3242,
  edx: 0x1323_3343,
  esi: 0x1424_3444,
  edi: 0x1525_3545,
  ebp: 0x1626_3646,
  esp: LAYOUT.scratchSp,
  eflags: (1 << 9) | (1 << 1),
};

/** IF, and bit 1 which always reads 1 (SDM Vol. 1 §3.4.3). */
export const IF = 1 << 9;
export const EFLAGS_FIXED = 1 << 1;
/**
 * The EFLAGS bits recorded: the status flags, DF, IF and bit 1. The host ran at CPL 3 with
 * IOPL 0, so IF was always 1 and POPF could not change it: run the cases with IF = 1 (no
 * interrupt arrives in a single case) or mask IF. TF, AC, ID and the rest were 0.
 */
export const EFLAGS_RECORDED = CF | PF | AF | ZF | SF | OF | DF | IF | EFLAGS_FIXED;

export interface Registers {
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
  esi: number;
  edi: number;
  ebp: number;
  esp: number;
  eflags: number;
}

export interface CpuState extends Registers {
  /** Contents of the LAYOUT.memSize bytes at LAYOUT.memBase; absent when the case has no memory. */
  mem?: Uint8Array;
}

export interface FinalState extends CpuState {
  /** Exception vector raised (0 #DE, 5 #BR, 6 #UD, 13 #GP...); the registers are then those at the fault. */
  fault?: number;
  /** Byte offset of the faulting instruction from LAYOUT.codeBase (faults leave EIP there). */
  faultOffset?: number;
}

export interface HostInfo {
  vendor: string;
  modelName: string;
  family: number;
  model: number;
  stepping: number;
  microcode: string;
  kernel: string;
}

export interface FixtureHeader {
  format: typeof FIXTURE_FORMAT;
  family: string;
  description: string;
  host: HostInfo;
  /** YYYY-MM-DD. */
  recorded: string;
  /** The seed string of the family's PRNG (tests/harness/lib/rng.ts). */
  seed: string;
  layout: typeof LAYOUT;
  /** Initial register values of registers a stored case does not list. */
  defaults: Record<keyof Registers, string>;
  cases: number;
}

/** One line of a fixture file. */
export interface StoredCase {
  /** Human-readable instruction (Intel syntax). */
  asm: string;
  /** Key into UNDEFINED_BEHAVIOUR. */
  m: string;
  ctx: UndefinedContext;
  /** Instruction bytes, hex. */
  code: string;
  init: Partial<Record<keyof Registers, string>> & { mem?: string };
  final: Partial<Record<keyof Registers, string>> & {
    eflags: string;
    /** [offset, hex bytes] runs written over init.mem. */
    memPatch?: [number, string][];
    fault?: number;
    faultOffset?: number;
  };
}

export interface FixtureCase {
  family: string;
  /** Position in the family file, from 0. */
  index: number;
  asm: string;
  mnemonic: string;
  ctx: UndefinedContext;
  code: Uint8Array;
  init: CpuState;
  final: FinalState;
}

export interface FixtureFile {
  header: FixtureHeader;
  cases: FixtureCase[];
}

export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/cpu/', import.meta.url));

/** Runs of bytes where `after` differs from `before`; runs closer than 4 bytes are merged. */
export function memPatch(before: Uint8Array, after: Uint8Array): [number, string][] {
  const runs: [number, number][] = [];
  for (let i = 0; i < after.length; i++) {
    if (before[i] === after[i]) continue;
    const last = runs[runs.length - 1];
    if (last !== undefined && i - last[1] < 4) last[1] = i + 1;
    else runs.push([i, i + 1]);
  }
  return runs.map(([a, b]) => [a, bytesToHex(after.subarray(a, b))]);
}

export const hex32 = (v: number): string => (v >>> 0).toString(16);
export const bytesToHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const hexToBytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const parse32 = (s: string): number => {
  if (!/^[0-9a-f]{1,8}$/.test(s)) throw new Error(`bad register value ${JSON.stringify(s)}`);
  return parseInt(s, 16) >>> 0;
};

const REGISTER_KEYS = [...REGISTERS, 'eflags'] as const;

/** Parse a whole fixture file's text (exported for callers that do not read from disk). */
export function parseFixtureText(text: string): FixtureFile {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const header = JSON.parse(lines[0] ?? 'null') as FixtureHeader;
  if (header?.format !== FIXTURE_FORMAT) throw new Error(`not a ${FIXTURE_FORMAT} file`);
  const defaults = Object.fromEntries(
    REGISTER_KEYS.map((k) => [k, parse32(header.defaults[k])]),
  ) as unknown as Registers;
  const cases = lines.slice(1).map((line, index): FixtureCase => {
    const s = JSON.parse(line) as StoredCase;
    const init: CpuState = { ...defaults };
    for (const k of REGISTER_KEYS) {
      const v = s.init[k];
      if (v !== undefined) init[k] = parse32(v);
    }
    if (s.init.mem !== undefined) init.mem = hexToBytes(s.init.mem);
    const final: FinalState = { ...init };
    for (const k of REGISTER_KEYS) {
      const v = s.final[k];
      if (v !== undefined) final[k] = parse32(v);
    }
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
  return { header, cases };
}

/** Load tests/fixtures/cpu/<family>.jsonl. */
export function loadFixtures(family: string): FixtureFile {
  return parseFixtureText(readFileSync(`${FIXTURE_DIR}${family}.jsonl`, 'utf8'));
}

/**
 * The families that have a committed fixture file recorded in `mode`: 32-bit ones by default,
 * which loadFixtures() reads; 64-bit ones are read with fixture-format64.ts.
 */
export function listFixtureFamilies(mode: '32' | '64' = '32'): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => f.slice(0, -'.jsonl'.length))
    .filter((f) => fixtureMode(f) === mode)
    .sort();
}

/** The mode of a committed family from its header line alone (a header without `mode` is 32-bit). */
export function fixtureMode(family: string): '32' | '64' {
  const fd = openSync(`${FIXTURE_DIR}${family}.jsonl`, 'r');
  try {
    const buf = Buffer.alloc(8192);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const line = buf.subarray(0, n).toString('utf8').split('\n')[0] ?? '';
    return (JSON.parse(line) as { mode?: string }).mode === '64' ? '64' : '32';
  } finally {
    closeSync(fd);
  }
}

const sizeMask = (size: number): number => (size >= 32 ? 0xffffffff : (1 << size) - 1);

export interface CompareMasks {
  /** EFLAGS bits to compare. */
  eflags: number;
  /** Per register, the bits to compare. */
  regs: Record<RegisterName, number>;
  /** Per buffer byte, 0xff to compare, 0 to skip. */
  mem: Uint8Array;
}

/** Which bits of a case's final state are defined by the SDM and so must match. */
export function compareMasks(c: FixtureCase): CompareMasks {
  const u = undefinedEffects(c.mnemonic, c.ctx);
  const regs = Object.fromEntries(REGISTERS.map((r) => [r, 0xffffffff])) as Record<RegisterName, number>;
  const mem = new Uint8Array(LAYOUT.memSize).fill(0xff);
  if (u.result && c.final.fault === undefined) {
    const dest = c.ctx.dest as RegisterName | undefined; // 32-bit cases name eax..esp
    if (dest !== undefined) regs[dest] = (regs[dest] & ~sizeMask(c.ctx.size)) >>> 0;
    if (c.ctx.destMem !== undefined) mem.fill(0, c.ctx.destMem, c.ctx.destMem + c.ctx.size / 8);
  }
  // A fault leaves EFLAGS as they were before the instruction; nothing in it is undefined.
  const undefinedFlags = c.final.fault === undefined ? u.flags : 0;
  return { eflags: EFLAGS_RECORDED & ~undefinedFlags, regs, mem };
}

/**
 * Compare an emulator's outcome with the recording under compareMasks(); returns one line
 * per difference (empty when they agree). `actual.fault` must be set exactly when the
 * emulator raised an exception.
 */
export function diffOutcome(c: FixtureCase, actual: FinalState): string[] {
  const m = compareMasks(c);
  const out: string[] = [];
  const want = c.final;
  if (want.fault !== actual.fault)
    out.push(`fault: want ${want.fault ?? 'none'}, got ${actual.fault ?? 'none'}`);
  if (want.fault !== undefined && actual.fault !== undefined && want.faultOffset !== actual.faultOffset) {
    out.push(`faultOffset: want ${want.faultOffset}, got ${actual.faultOffset}`);
  }
  for (const r of REGISTERS) {
    if (((want[r] ^ actual[r]) & m.regs[r]) !== 0)
      out.push(`${r}: want ${hex32(want[r])}, got ${hex32(actual[r])}`);
  }
  const flagDiff = (want.eflags ^ actual.eflags) & m.eflags;
  if (flagDiff !== 0)
    out.push(
      `eflags: want ${hex32(want.eflags & m.eflags)}, got ${hex32(actual.eflags & m.eflags)} (differ in ${flagNames(flagDiff)})`,
    );
  if (want.mem !== undefined) {
    const got = actual.mem;
    for (let i = 0; i < want.mem.length; i++) {
      if (got === undefined || ((want.mem[i] ^ got[i]) & m.mem[i]) !== 0) {
        out.push(
          `mem: first difference at +${i}: want ${bytesToHex(want.mem)}, got ${got ? bytesToHex(got) : 'none'}`,
        );
        break;
      }
    }
  }
  return out;
}

const FLAG_NAMES: readonly [number, string][] = [
  [CF, 'CF'],
  [PF, 'PF'],
  [AF, 'AF'],
  [ZF, 'ZF'],
  [SF, 'SF'],
  [DF, 'DF'],
  [OF, 'OF'],
  [IF, 'IF'],
  [EFLAGS_FIXED, 'bit1'],
];
export const flagNames = (bits: number): string =>
  FLAG_NAMES.filter(([b]) => bits & b)
    .map(([, n]) => n)
    .join(' ') || 'none';
