// Saving and restoring the x87, MMX and SSE state: FXSAVE/FXRSTOR (SDM Vol. 1 10.5.1, Vol.
// 2A FXSAVE Tables 3-43, 3-46, 3-47), XSAVE/XSAVEOPT/XRSTOR in the standard format (SDM Vol.
// 1 13.4-13.8) with state components 0 (x87) and 1 (SSE), and XCR0 (XSETBV, SDM Vol. 1 13.3).
// The functions take the linear address of the area (already limit- and alignment-checked
// by the emitter) and access memory through the Cpu's paging path.
import type { Cpu } from './cpu.ts';
import { GuestFault } from './faults.ts';
import { Vector } from './registers.ts';
import { MXCSR_MASK, MXCSR_RESET } from '../simd/mxcsr.ts';

/** XCR0 / XSTATE_BV bits (SDM Vol. 1 13.1): x87 state, SSE state, AVX state. */
export const enum Xfeature {
  X87 = 1 << 0, SSE = 1 << 1, AVX = 1 << 2,
}
/** The state components this CPU supports in XCR0. */
export const XCR0_SUPPORTED = Xfeature.X87 | Xfeature.SSE;
/** Size of the legacy region plus the XSAVE header: the XSAVE area for x87 | SSE (CPUID.(EAX=0DH,ECX=0).EBX/ECX). */
export const XSAVE_AREA_SIZE = 576;
/** Offset of the XSAVE header (XSTATE_BV, XCOMP_BV). */
const XSAVE_HEADER = 512;

/** Initial x87 control word (FNINIT, SDM Vol. 1 8.1.5) and the all-empty tag word. */
const FCW_INIT = 0x037f;
const FTW_ALL_EMPTY = 0xffff;
/** Two-bit tags (SDM Vol. 1 8.1.7): valid, zero, special, empty. */
const enum Tag {
  Valid = 0, Zero = 1, Special = 2, Empty = 3,
}
const FSW_TOP_SHIFT = 11;

/** The 16-bit x87 state fields (layout.ts). */
type U16Field = 'fpuCw' | 'fpuSw' | 'fpuTw' | 'fpuFop' | 'fpuCs' | 'fpuDs' | 'fpuSignExp';

/** Field offsets of the FXSAVE image (SDM Vol. 2A Table 3-43). */
const enum Fx {
  FCW = 0, FSW = 2, FTW = 4, FOP = 6, FIP = 8, FCS = 12, FDP = 16, FDS = 20, MXCSR = 24, MXCSR_MASK = 28,
  ST0 = 32, XMM0 = 160, SIZE = 512,
}

/** Memory access for the area: little-endian bytes at lin + offset. */
class Area {
  constructor(
    private readonly cpu: Cpu,
    private readonly lin: number,
  ) {}
  read(offset: number, size: 1 | 2 | 4): number {
    return this.cpu.read(this.lin + offset, size);
  }
  read64(offset: number): bigint {
    const [lo, hi] = this.cpu.readLinear(this.lin + offset, 8);
    return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  }
  write(offset: number, size: 1 | 2 | 4, value: number): void {
    this.cpu.write(this.lin + offset, size, value);
  }
  write64(offset: number, v: bigint): void {
    this.cpu.writeLinear(this.lin + offset, 8, Number(v & 0xffffffffn), Number((v >> 32n) & 0xffffffffn));
  }
}

/** The tag a register's contents give (SDM Vol. 1 8.1.7, Figure 8-7), for FXRSTOR's abridged tags. */
function tagOf(signExp: number, mant: bigint): Tag {
  const exp = signExp & 0x7fff;
  if (exp === 0x7fff) return Tag.Special;
  if (exp === 0) return mant === 0n ? Tag.Zero : Tag.Special;
  return mant >> 63n ? Tag.Valid : Tag.Special; // an unnormal (J bit clear) is special
}

/** XMM registers in the image: 16 in 64-bit mode, else 8 (SDM Vol. 2A FXSAVE). */
function xmmCount(cpu: Cpu): number {
  return cpu.codeSize() === 8 ? 16 : 8;
}

/** Writes the x87 part of the image: control, status, abridged tags, pointers, ST0-ST7 (component 0). */
function saveX87(cpu: Cpu, area: Area, rexW: boolean): void {
  const s = cpu.state;
  const u16 = (name: U16Field, i = 0): number => s.u16[s.addr(name, i) >>> 1];
  area.write(Fx.FCW, 2, u16('fpuCw'));
  area.write(Fx.FSW, 2, u16('fpuSw'));
  const tw = u16('fpuTw');
  let abridged = 0;
  for (let r = 0; r < 8; r++) if (((tw >> (2 * r)) & 3) !== Tag.Empty) abridged |= 1 << r;
  area.write(Fx.FTW, 1, abridged);
  area.write(Fx.FTW + 1, 1, 0);
  area.write(Fx.FOP, 2, u16('fpuFop') & 0x7ff);
  if (rexW) {
    area.write64(Fx.FIP, s.get64('fpuIp'));
    area.write64(Fx.FDP, s.get64('fpuDp'));
  } else {
    area.write(Fx.FIP, 4, s.getLo('fpuIp'));
    area.write(Fx.FCS, 4, u16('fpuCs'));
    area.write(Fx.FDP, 4, s.getLo('fpuDp'));
    area.write(Fx.FDS, 4, u16('fpuDs'));
  }
  const top = (u16('fpuSw') >> FSW_TOP_SHIFT) & 7;
  for (let i = 0; i < 8; i++) {
    const r = (top + i) & 7;
    const at = Fx.ST0 + 16 * i;
    area.write64(at, s.get64('fpuMant', r));
    area.write(at + 8, 2, u16('fpuSignExp', r));
    area.write(at + 10, 2, 0);
    area.write(at + 12, 4, 0);
  }
}

function loadX87(cpu: Cpu, area: Area, rexW: boolean): void {
  const s = cpu.state;
  const set16 = (name: U16Field, v: number, i = 0): void => {
    s.u16[s.addr(name, i) >>> 1] = v;
  };
  const fsw = area.read(Fx.FSW, 2);
  const abridged = area.read(Fx.FTW, 1);
  const top = (fsw >> FSW_TOP_SHIFT) & 7;
  // Read everything first: a fault leaves the state as it was.
  const regs = Array.from({ length: 8 }, (_, i) => ({ mant: area.read64(Fx.ST0 + 16 * i), se: area.read(Fx.ST0 + 16 * i + 8, 2) }));
  const fcw = area.read(Fx.FCW, 2);
  const fop = area.read(Fx.FOP, 2) & 0x7ff;
  const ip = rexW ? area.read64(Fx.FIP) : BigInt(area.read(Fx.FIP, 4));
  const dp = rexW ? area.read64(Fx.FDP) : BigInt(area.read(Fx.FDP, 4));
  const cs = rexW ? 0 : area.read(Fx.FCS, 2);
  const ds = rexW ? 0 : area.read(Fx.FDS, 2);
  let tw = 0;
  regs.forEach((reg, i) => {
    const r = (top + i) & 7;
    s.set64('fpuMant', reg.mant, r);
    set16('fpuSignExp', reg.se, r);
  });
  for (let r = 0; r < 8; r++) {
    const tag = abridged & (1 << r) ? tagOf(s.u16[s.addr('fpuSignExp', r) >>> 1], s.get64('fpuMant', r)) : Tag.Empty;
    tw |= tag << (2 * r);
  }
  set16('fpuCw', fcw);
  set16('fpuSw', fsw);
  set16('fpuTw', tw);
  set16('fpuFop', fop);
  set16('fpuCs', cs);
  set16('fpuDs', ds);
  s.set64('fpuIp', ip);
  s.set64('fpuDp', dp);
}

/** The x87 initial configuration (SDM Vol. 1 13.6): FNINIT's values and all registers zero. */
function initX87(cpu: Cpu): void {
  const s = cpu.state;
  const set16 = (name: U16Field, v: number): void => {
    s.u16[s.addr(name) >>> 1] = v;
  };
  set16('fpuCw', FCW_INIT);
  set16('fpuSw', 0);
  set16('fpuTw', FTW_ALL_EMPTY);
  set16('fpuFop', 0);
  set16('fpuCs', 0);
  set16('fpuDs', 0);
  s.set64('fpuIp', 0n);
  s.set64('fpuDp', 0n);
  for (let r = 0; r < 8; r++) {
    s.set64('fpuMant', 0n, r);
    s.u16[s.addr('fpuSignExp', r) >>> 1] = 0;
  }
}

function saveXmm(cpu: Cpu, area: Area): void {
  for (let i = 0; i < xmmCount(cpu); i++) {
    area.write64(Fx.XMM0 + 16 * i, cpu.state.get64('xmm', 2 * i));
    area.write64(Fx.XMM0 + 16 * i + 8, cpu.state.get64('xmm', 2 * i + 1));
  }
}

function readXmm(cpu: Cpu, area: Area): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < 2 * xmmCount(cpu); i++) out.push(area.read64(Fx.XMM0 + 8 * i));
  return out;
}

function saveMxcsr(cpu: Cpu, area: Area): void {
  area.write(Fx.MXCSR, 4, cpu.state.getU32('mxcsr'));
  area.write(Fx.MXCSR_MASK, 4, MXCSR_MASK);
}

/** MXCSR from the image; reserved bits set are #GP(0) (SDM Vol. 2A FXRSTOR, XRSTOR). */
function readMxcsr(area: Area, delta: number): number {
  const v = area.read(Fx.MXCSR, 4);
  if (v & ~MXCSR_MASK) throw new GuestFault(Vector.GP, 0, delta);
  return v;
}

/** FXSAVE / FXSAVE64 (REX.W: 64-bit FIP and FDP without selectors). */
export function fxsave(cpu: Cpu, lin: number, rexW: boolean): void {
  const area = new Area(cpu, lin);
  saveX87(cpu, area, rexW);
  saveMxcsr(cpu, area);
  saveXmm(cpu, area);
}

/** FXRSTOR / FXRSTOR64: #GP(0) for reserved MXCSR bits before anything changes. */
export function fxrstor(cpu: Cpu, lin: number, rexW: boolean, delta: number): void {
  const area = new Area(cpu, lin);
  const mxcsr = readMxcsr(area, delta);
  const xmm = readXmm(cpu, area);
  loadX87(cpu, area, rexW);
  cpu.state.setU32('mxcsr', mxcsr);
  xmm.forEach((q, i) => cpu.state.set64('xmm', q, i));
}

/** The requested-feature bitmap: EDX:EAX AND XCR0 (SDM Vol. 1 13.7). */
function rfbm(cpu: Cpu): number {
  const s = cpu.state;
  return s.getLo('gpr', 0) & s.getLo('xcr0');
}

/**
 * XSAVE / XSAVEOPT (standard format): the components in RFBM, and XSTATE_BV[i] = XINUSE[i]
 * for them; other header bytes are not written (SDM Vol. 1 13.7). This CPU reports every
 * enabled component in use, which the SDM allows (13.6: XINUSE[i] may be 1 in the initial
 * configuration), so XSAVEOPT saves what XSAVE saves.
 */
export function xsave(cpu: Cpu, lin: number, rexW: boolean): void {
  const area = new Area(cpu, lin);
  const mask = rfbm(cpu);
  if (mask & Xfeature.X87) saveX87(cpu, area, rexW);
  if (mask & (Xfeature.SSE | Xfeature.AVX)) saveMxcsr(cpu, area);
  if (mask & Xfeature.SSE) saveXmm(cpu, area);
  const bv = area.read64(XSAVE_HEADER);
  area.write64(XSAVE_HEADER, (bv & ~BigInt(mask)) | BigInt(mask));
}

/**
 * XRSTOR (standard format): #GP(0) when XSTATE_BV has a bit outside XCR0, when bytes 23:8 of
 * the header are not zero (XCOMP_BV: the compacted form is not supported), or for reserved
 * MXCSR bits; then each component in RFBM is loaded, or initialized when its XSTATE_BV bit
 * is 0. MXCSR is loaded whenever RFBM[1] or RFBM[2] is set (SDM Vol. 1 13.8.1).
 */
export function xrstor(cpu: Cpu, lin: number, rexW: boolean, delta: number): void {
  const s = cpu.state;
  const area = new Area(cpu, lin);
  const mask = rfbm(cpu);
  const bv = area.read64(XSAVE_HEADER);
  const gp = (): GuestFault => new GuestFault(Vector.GP, 0, delta);
  if (bv & ~BigInt(s.getLo('xcr0'))) throw gp();
  if (area.read64(XSAVE_HEADER + 8) !== 0n || area.read64(XSAVE_HEADER + 16) !== 0n) throw gp();
  const load = Number(bv) & mask;
  const mxcsr = mask & (Xfeature.SSE | Xfeature.AVX) ? readMxcsr(area, delta) : s.getU32('mxcsr');
  const xmm = load & Xfeature.SSE ? readXmm(cpu, area) : null;
  if (mask & Xfeature.X87) {
    if (load & Xfeature.X87) loadX87(cpu, area, rexW);
    else initX87(cpu);
  }
  s.setU32('mxcsr', mxcsr);
  if (mask & Xfeature.SSE) for (let i = 0; i < 2 * xmmCount(cpu); i++) s.set64('xmm', xmm ? xmm[i] : 0n, i);
}

/**
 * XSETBV with ECX = 0: XCR0 bit 0 must be 1, AVX needs SSE, and only supported components
 * may be set; anything else is #GP(0) (SDM Vol. 2B XSETBV, Vol. 1 13.3).
 */
export function writeXcr0(cpu: Cpu, lo: number, hi: number, delta: number): void {
  const gp = (): GuestFault => new GuestFault(Vector.GP, 0, delta);
  if (hi !== 0 || lo & ~XCR0_SUPPORTED || !(lo & Xfeature.X87) || (lo & Xfeature.AVX && !(lo & Xfeature.SSE))) throw gp();
  cpu.state.set64('xcr0', BigInt(lo >>> 0));
}

/** Power-on values of the SSE state (SDM Vol. 3A Table 10-1): MXCSR 1F80H, XMM zero, XCR0 1. */
export function resetSseState(cpu: Cpu): void {
  const s = cpu.state;
  s.setU32('mxcsr', MXCSR_RESET);
  for (let i = 0; i < 32; i++) s.set64('xmm', 0n, i);
  s.set64('xcr0', BigInt(Xfeature.X87));
}

/** XINUSE as XGETBV with ECX = 1 reports it: every enabled component (see xsave()). */
export function xinuse(cpu: Cpu): number {
  return cpu.state.getLo('xcr0');
}

