// Saving and restoring the x87, MMX and SSE state: FXSAVE/FXRSTOR (SDM Vol. 1 10.5.1, Vol.
// 2A FXSAVE Tables 3-43, 3-46, 3-47), XSAVE/XSAVEOPT/XRSTOR in the standard format (SDM Vol.
// 1 13.4-13.9), XSAVEC/XSAVES/XRSTORS and XRSTOR in the compacted format (13.10-13.12) with
// state components 0 (x87) and 1 (SSE), XINUSE (13.6), and XCR0 (XSETBV, SDM Vol. 1 13.3).
// There are no supervisor state components: IA32_XSS is always 0 (msr.ts).
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
/** The supervisor state components it supports in IA32_XSS (SDM Vol. 1 13.3): none. */
export const XSS_SUPPORTED = 0;
/**
 * CPUID.(EAX=0DH,ECX=1):EAX (SDM Vol. 2A CPUID leaf 0DH): XSAVEOPT, XSAVEC and the compacted
 * form of XRSTOR, XGETBV with ECX = 1, XSAVES/XRSTORS and IA32_XSS.
 */
export const enum XsaveSub1 {
  XSAVEOPT = 1 << 0, XSAVEC = 1 << 1, XGETBV1 = 1 << 2, XSAVES = 1 << 3,
}
/** XCOMP_BV bit 63: the area is in the compacted format (SDM Vol. 1 13.4.2). */
const XCOMP_BV_COMPACTED = 1n << 63n;
/** Size of the legacy region plus the XSAVE header: the XSAVE area for x87 | SSE (CPUID.(EAX=0DH,ECX=0).EBX/ECX). */
export const XSAVE_AREA_SIZE = 576;
/** Offset of the XSAVE header: XSTATE_BV, XCOMP_BV, then 48 reserved bytes (SDM Vol. 1 13.4.2). */
const XSAVE_HEADER = 512;
const XCOMP_BV = XSAVE_HEADER + 8;
const XSAVE_HEADER_SIZE = 64;

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

/**
 * The requested-feature bitmap: EDX:EAX AND XCR0 (SDM Vol. 1 13.7), or AND (XCR0 OR
 * IA32_XSS) for XSAVES and XRSTORS (13.11, 13.12). Every supported component is below bit 32,
 * so EDX does not matter.
 */
function rfbm(cpu: Cpu, supervisor = false): number {
  const s = cpu.state;
  return s.getLo('gpr', 0) & (s.getLo('xcr0') | (supervisor ? XSS_SUPPORTED : 0));
}

/**
 * Whether the x87 state is in its initial configuration (SDM Vol. 1 13.6): FCW 037FH, FSW 0,
 * every tag empty, FOP, FIP, FDP, FCS and FDS 0, and ST0-ST7 0.
 */
function x87IsInit(cpu: Cpu): boolean {
  const s = cpu.state;
  const u16 = (name: U16Field, i = 0): number => s.u16[s.addr(name, i) >>> 1];
  if (u16('fpuCw') !== FCW_INIT || u16('fpuSw') !== 0 || u16('fpuTw') !== FTW_ALL_EMPTY) return false;
  if (u16('fpuFop') !== 0 || u16('fpuCs') !== 0 || u16('fpuDs') !== 0) return false;
  if (s.get64('fpuIp') !== 0n || s.get64('fpuDp') !== 0n) return false;
  for (let r = 0; r < 8; r++) if (s.get64('fpuMant', r) !== 0n || u16('fpuSignExp', r) !== 0) return false;
  return true;
}

/** Whether the SSE state is in its initial configuration: the XMM registers of this mode are 0; MXCSR does not count (13.6). */
function sseIsInit(cpu: Cpu): boolean {
  for (let i = 0; i < 2 * xmmCount(cpu); i++) if (cpu.state.get64('xmm', i) !== 0n) return false;
  return true;
}

/**
 * XINUSE (SDM Vol. 1 13.6): bit i is 0 only when component i is in its initial configuration.
 * This CPU computes it from the state, so a component is "in use" exactly when it differs
 * from its initial configuration; the SDM allows XINUSE[i] = 1 in the initial configuration
 * too (the host CPU keeps it 1 after XRSTOR loads zeros), which would change XSTATE_BV, never
 * the state an XRSTOR of the image restores.
 */
export function xinuse(cpu: Cpu): number {
  return (x87IsInit(cpu) ? 0 : Xfeature.X87) | (sseIsInit(cpu) ? 0 : Xfeature.SSE);
}

/**
 * XSAVE / XSAVEOPT (standard format, SDM Vol. 1 13.7, 13.9): XSAVE saves every component in
 * RFBM; XSAVEOPT applies the init optimization and saves only those also in XINUSE (MXCSR
 * whenever RFBM[1] or RFBM[2] is set). Both write XSTATE_BV[i] = XINUSE[i] for i in RFBM and
 * nothing else of the header. XSAVEOPT's modified optimization (skipping a component unchanged
 * since the XRSTOR from the same area) is optional and not used: saving it is equivalent.
 */
export function xsave(cpu: Cpu, lin: number, rexW: boolean, optimized = false): void {
  const area = new Area(cpu, lin);
  const mask = rfbm(cpu);
  const inUse = xinuse(cpu);
  const save = optimized ? mask & inUse : mask;
  if (save & Xfeature.X87) saveX87(cpu, area, rexW);
  if (mask & (Xfeature.SSE | Xfeature.AVX)) saveMxcsr(cpu, area);
  if (save & Xfeature.SSE) saveXmm(cpu, area);
  const bv = area.read64(XSAVE_HEADER);
  area.write64(XSAVE_HEADER, (bv & ~BigInt(mask)) | BigInt(inUse & mask));
}

/**
 * XSAVEC, or XSAVES with `supervisor` (compacted format, SDM Vol. 1 13.10, 13.11; Vol. 2D
 * pseudo-code): the components in RFBM AND XINUSE, and SSE also when MXCSR is not 1F80H;
 * SSE state there includes MXCSR and MXCSR_MASK. XSTATE_BV = the saved components, XCOMP_BV
 * = RFBM with bit 63 set; the rest of the header and bytes 511:464 are not written. With only
 * x87 and SSE, the compacted area is the legacy region and the header (576 bytes). XSAVES's
 * modified optimization is not used, as for XSAVEOPT.
 */
export function xsaveCompacted(cpu: Cpu, lin: number, rexW: boolean, supervisor: boolean): void {
  const area = new Area(cpu, lin);
  const mask = rfbm(cpu, supervisor);
  let save = mask & xinuse(cpu);
  if (mask & Xfeature.SSE && cpu.state.getU32('mxcsr') !== MXCSR_RESET) save |= Xfeature.SSE;
  if (save & Xfeature.X87) saveX87(cpu, area, rexW);
  if (save & Xfeature.SSE) {
    saveMxcsr(cpu, area);
    saveXmm(cpu, area);
  }
  area.write64(XSAVE_HEADER, BigInt(save));
  area.write64(XCOMP_BV, BigInt(mask) | XCOMP_BV_COMPACTED);
}

/**
 * XRSTOR, or XRSTORS with `supervisor` (SDM Vol. 1 13.8, 13.12; Vol. 2D pseudo-code). XCOMP_BV
 * bit 63 selects the compacted form, which XRSTORS requires (#GP(0) otherwise).
 */
export function xrstor(cpu: Cpu, lin: number, rexW: boolean, delta: number, supervisor = false): void {
  const area = new Area(cpu, lin);
  const compacted = (area.read64(XCOMP_BV) & XCOMP_BV_COMPACTED) !== 0n;
  if (supervisor && !compacted) throw new GuestFault(Vector.GP, 0, delta);
  if (compacted) xrstorCompacted(cpu, area, rexW, delta, supervisor);
  else xrstorStandard(cpu, area, rexW, delta);
}

/**
 * The standard form (13.8.1): #GP(0) when XSTATE_BV has a bit outside XCR0, when bytes 23:8
 * of the header are not zero, or for reserved MXCSR bits; then each component in RFBM is
 * loaded, or initialized when its XSTATE_BV bit is 0. MXCSR is loaded whenever RFBM[1] or
 * RFBM[2] is set.
 */
function xrstorStandard(cpu: Cpu, area: Area, rexW: boolean, delta: number): void {
  const s = cpu.state;
  const mask = rfbm(cpu);
  const bv = area.read64(XSAVE_HEADER);
  const gp = (): GuestFault => new GuestFault(Vector.GP, 0, delta);
  if (bv & ~BigInt(s.getLo('xcr0'))) throw gp();
  if (area.read64(XCOMP_BV) !== 0n || area.read64(XSAVE_HEADER + 16) !== 0n) throw gp();
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
 * The compacted form (13.8.2, 13.12): #GP(0) when XCOMP_BV[62:0] has a bit outside XCR0 (OR
 * IA32_XSS for XRSTORS), when XSTATE_BV has a bit that XCOMP_BV lacks, when bytes 63:16 of the
 * header are not zero, or for reserved MXCSR bits. Components in RFBM that are in XCOMP_BV
 * and XSTATE_BV are loaded, the other components in RFBM initialized; here MXCSR belongs to
 * the SSE component: loaded with the XMM registers, or set to 1F80H when SSE is initialized.
 */
function xrstorCompacted(cpu: Cpu, area: Area, rexW: boolean, delta: number, supervisor: boolean): void {
  const s = cpu.state;
  const mask = rfbm(cpu, supervisor);
  const bv = area.read64(XSAVE_HEADER);
  const comp = area.read64(XCOMP_BV);
  const gp = (): GuestFault => new GuestFault(Vector.GP, 0, delta);
  const format = comp & ~XCOMP_BV_COMPACTED;
  if (format & ~BigInt(s.getLo('xcr0') | (supervisor ? XSS_SUPPORTED : 0))) throw gp();
  if (bv & ~comp) throw gp();
  for (let at = XSAVE_HEADER + 16; at < XSAVE_HEADER + XSAVE_HEADER_SIZE; at += 8) if (area.read64(at) !== 0n) throw gp();
  const load = Number(bv & format) & mask;
  const mxcsr = load & Xfeature.SSE ? readMxcsr(area, delta) : MXCSR_RESET;
  const xmm = load & Xfeature.SSE ? readXmm(cpu, area) : null;
  if (mask & Xfeature.X87) {
    if (load & Xfeature.X87) loadX87(cpu, area, rexW);
    else initX87(cpu);
  }
  if (mask & Xfeature.SSE) {
    s.setU32('mxcsr', mxcsr);
    for (let i = 0; i < 2 * xmmCount(cpu); i++) s.set64('xmm', xmm ? xmm[i] : 0n, i);
  }
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

