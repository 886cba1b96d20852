// x87 control instructions: FNINIT, FNCLEX, FLDCW, FNSTCW, FNSTSW, FNSTENV, FLDENV, FNSAVE,
// FRSTOR (SDM Vol. 2A/2B pages) and the environment layouts of SDM Vol. 1 8.1.10, Figures
// 8-9 to 8-12 (32-bit and 16-bit, protected and real mode). These do not update the last
// instruction and data pointers (SDM Vol. 1 8.1.8).
import { fromLe, leBytes, type X87Context } from './context.ts';
import { fromBytes, toBytes } from './float80.ts';
import type { FormInfo, Op } from './ops-arith.ts';
import { type Fpu, TAG_EMPTY } from './state.ts';
import { CW_ONES, CW_WRITABLE, EXCEPTIONS, Sw } from './status.ts';

/** Reserved bits of the 32-bit environment are stored as ones. */
const RESERVED_HIGH = 0xffff0000;
/** The opcode field of FOP: the low 11 bits (SDM Vol. 1 8.1.9). */
const FOP_MASK = 0x7ff;

export const envSize = (opSize: number): number => (opSize === 2 ? 14 : 28);

/** The last-instruction pointers as the state holds them. */
interface Pointers {
  ip: number;
  cs: number;
  fop: number;
  dp: number;
  ds: number;
}

/** The pointers as the 14/28-byte environments hold them: the low 32 bits of FIP and FDP. */
function pointers(fpu: Fpu): Pointers {
  const s = fpu.s;
  return {
    ip: s.getU32('fpuIp'),
    cs: s.u16[s.addr('fpuCs') >>> 1],
    fop: s.u16[s.addr('fpuFop') >>> 1] & FOP_MASK,
    dp: s.getU32('fpuDp'),
    ds: s.u16[s.addr('fpuDs') >>> 1],
  };
}

function setPointers(fpu: Fpu, p: Pointers): void {
  const s = fpu.s;
  s.setNum('fpuIp', p.ip);
  s.u16[s.addr('fpuCs') >>> 1] = p.cs;
  s.u16[s.addr('fpuFop') >>> 1] = p.fop;
  s.setNum('fpuDp', p.dp);
  s.u16[s.addr('fpuDs') >>> 1] = p.ds;
}

/** The 14- or 28-byte environment FNSTENV and FNSAVE store. */
export function storeEnvironment(c: X87Context): number[] {
  const fpu = c.fpu;
  const p = pointers(fpu);
  const cw = fpu.cw;
  const sw = fpu.sw;
  const tw = fpu.fullTagWord();
  const lo16 = (v: number): number => v & 0xffff;
  const hi16At12 = (v: number): number => ((Math.floor(v / 0x10000) & 0xffff) << 12) >>> 0;
  if (c.opSize === 2) {
    const words = c.realFormat
      ? [cw, sw, tw, lo16(p.ip), (hi16At12(p.ip) & 0xf000) | p.fop, lo16(p.dp), hi16At12(p.dp) & 0xf000]
      : [cw, sw, tw, lo16(p.ip), p.cs, lo16(p.dp), p.ds];
    return words.flatMap((w) => leBytes(w, 2));
  }
  const dwords = c.realFormat
    ? [cw | RESERVED_HIGH, sw | RESERVED_HIGH, tw | RESERVED_HIGH, lo16(p.ip) | RESERVED_HIGH, hi16At12(p.ip) | p.fop, lo16(p.dp) | RESERVED_HIGH, hi16At12(p.dp)]
    : [cw | RESERVED_HIGH, sw | RESERVED_HIGH, tw | RESERVED_HIGH, p.ip, p.cs | (p.fop << 16), p.dp, p.ds | RESERVED_HIGH];
  return dwords.flatMap((d) => leBytes(d >>> 0, 4));
}

/** Loads an environment image (FLDENV, FRSTOR). */
function loadEnvironment(c: X87Context, b: number[]): void {
  const fpu = c.fpu;
  const w = (k: number): number => Number(fromLe(b.slice(k, k + 2)));
  const d = (k: number): number => Number(fromLe(b.slice(k, k + 4)));
  let cw: number, sw: number, tw: number, p: Pointers;
  if (c.opSize === 2) {
    [cw, sw, tw] = [w(0), w(2), w(4)];
    p = c.realFormat
      ? { ip: w(6) + ((w(8) >> 12) << 16), cs: 0, fop: w(8) & FOP_MASK, dp: w(10) + ((w(12) >> 12) << 16), ds: 0 }
      : { ip: w(6), cs: w(8), fop: 0, dp: w(10), ds: w(12) };
  } else {
    [cw, sw, tw] = [w(0), w(4), w(8)];
    p = c.realFormat
      ? { ip: w(12) + (((d(16) >>> 12) & 0xffff) << 16), cs: 0, fop: d(16) & FOP_MASK, dp: w(20) + (((d(24) >>> 12) & 0xffff) << 16), ds: 0 }
      : { ip: d(12), cs: w(16), fop: w(18) & FOP_MASK, dp: d(20), ds: w(24) };
  }
  fpu.cw = (cw & CW_WRITABLE) | CW_ONES;
  fpu.sw = sw;
  // Only "empty" survives from the loaded tag word; other tags follow the contents (SDM Vol. 1 8.1.7).
  let t = 0;
  for (let r = 0; r < 8; r++) t |= ((tw >> (2 * r)) & 3) === TAG_EMPTY ? TAG_EMPTY << (2 * r) : 0;
  fpu.tw = t;
  setPointers(fpu, p);
}

/** Re-derives ES and B from the flags and masks after CW or SW change (SDM Vol. 1 8.1.3.1, 8.1.5.1). */
function updateSummary(fpu: Fpu): void {
  const pending = fpu.sw & ~fpu.cw & EXCEPTIONS;
  fpu.sw = pending ? fpu.sw | Sw.ES | Sw.B : fpu.sw & ~(Sw.ES | Sw.B);
}

/** Retags non-empty registers from their contents after a load of the registers. */
function retag(fpu: Fpu): void {
  for (let r = 0; r < 8; r++) if (fpu.tagPhys(r) !== TAG_EMPTY) fpu.setTagPhys(r, 0);
  fpu.tw = fpu.fullTagWord();
}

const REGISTER_BYTES = 10;

export const CONTROL_OPS: Readonly<Record<string, (f: FormInfo) => Op>> = {
  fninit: () => (c) => c.fpu.init(),
  fnclex: () => (c) => {
    c.fpu.sw &= ~(EXCEPTIONS | Sw.SF | Sw.ES | Sw.B);
  },
  // 8087/287 control instructions that later processors execute as FNOP (SDM Vol. 2D A.4 Table A-14 note).
  fneni: () => () => undefined,
  fndisi: () => () => undefined,
  fnsetpm: () => () => undefined,
  fldcw: () => (c) => {
    c.fpu.cw = (Number(fromLe(c.mem!.read(0, 2))) & CW_WRITABLE) | CW_ONES;
    updateSummary(c.fpu);
  },
  fnstcw: () => (c) => c.mem!.write(0, leBytes(c.fpu.cw, 2)),
  fnstsw: (f) => (c) => {
    if (f.mem) c.mem!.write(0, leBytes(c.fpu.sw, 2));
    else c.setAx(c.fpu.sw);
  },
  fnstenv: () => (c) => {
    c.mem!.write(0, storeEnvironment(c));
    // FNSTENV then masks all exceptions (SDM Vol. 2A FSTENV).
    c.fpu.cw |= EXCEPTIONS;
    updateSummary(c.fpu);
  },
  fldenv: () => (c) => {
    loadEnvironment(c, c.mem!.read(0, envSize(c.opSize)));
    retag(c.fpu);
    updateSummary(c.fpu);
  },
  fnsave: () => (c) => {
    const fpu = c.fpu;
    const image = storeEnvironment(c);
    for (let i = 0; i < 8; i++) image.push(...toBytes(fpu.st(i)));
    c.mem!.write(0, image);
    fpu.init();
  },
  frstor: () => (c) => {
    const fpu = c.fpu;
    const n = envSize(c.opSize);
    const image = c.mem!.read(0, n + 8 * REGISTER_BYTES);
    loadEnvironment(c, image);
    for (let i = 0; i < 8; i++) fpu.writePhys(fpu.phys(i), fromBytes(image, n + i * REGISTER_BYTES));
    retag(fpu);
    updateSummary(fpu);
  },
};

/** Instructions that do not check for pending unmasked exceptions (SDM Vol. 1 8.3.11). */
export const NON_WAITING = new Set(['fninit', 'fnclex', 'fnstcw', 'fnstsw', 'fnstenv', 'fnsave', 'fneni', 'fndisi', 'fnsetpm']);
/** Control instructions: they leave the last instruction/data pointers and opcode alone (SDM Vol. 1 8.1.8). */
export const CONTROL = new Set([...Object.keys(CONTROL_OPS)]);

/** Memory operand sizes (for the segment limit check) of the control forms. */
export function controlOperandSize(mnemonic: string, opSize: number): number {
  if (mnemonic === 'fnstenv' || mnemonic === 'fldenv') return envSize(opSize);
  if (mnemonic === 'fnsave' || mnemonic === 'frstor') return envSize(opSize) + 8 * REGISTER_BYTES;
  return 2;
}
