// The x87 register file as it lives in the vCPU state (core/cpu/layout.ts: fpuMant,
// fpuSignExp, fpuCw, fpuSw, fpuTw ...): physical registers R0-R7, TOP in the status word,
// the full two-bit tag word (SDM Vol. 1 8.1.2-8.1.7). These fields are the architectural
// truth that FXSAVE/XSAVE and the MMX aliasing read and write.
import type { VcpuState } from '../cpu/state.ts';
import { EXP_MAX, type F80, INDEFINITE, tagOf } from './float80.ts';
import { FpEnv } from './round.ts';
import { CW_INIT, CW_RESET, EXCEPTIONS, PRECISION_BITS, type Rc, Sw, TW_EMPTY, TW_RESET } from './status.ts';

/** Tag value of an empty register (SDM Vol. 1 Figure 8-7). */
export const TAG_EMPTY = 3;

export class Fpu {
  constructor(readonly s: VcpuState) {}

  get cw(): number {
    return this.s.u16[this.s.addr('fpuCw') >>> 1];
  }
  set cw(v: number) {
    this.s.u16[this.s.addr('fpuCw') >>> 1] = v;
  }
  get sw(): number {
    return this.s.u16[this.s.addr('fpuSw') >>> 1];
  }
  set sw(v: number) {
    this.s.u16[this.s.addr('fpuSw') >>> 1] = v;
  }
  get tw(): number {
    return this.s.u16[this.s.addr('fpuTw') >>> 1];
  }
  set tw(v: number) {
    this.s.u16[this.s.addr('fpuTw') >>> 1] = v;
  }

  get top(): number {
    return (this.sw >> Sw.TOP_SHIFT) & 7;
  }
  set top(t: number) {
    this.sw = (this.sw & ~Sw.TOP_MASK) | ((t & 7) << Sw.TOP_SHIFT);
  }

  /** Physical register number of ST(i). */
  phys(i: number): number {
    return (this.top + i) & 7;
  }

  tagPhys(r: number): number {
    return (this.tw >> (2 * r)) & 3;
  }
  setTagPhys(r: number, tag: number): void {
    this.tw = (this.tw & ~(3 << (2 * r))) | (tag << (2 * r));
  }

  readPhys(r: number): F80 {
    const se = this.s.u16[this.s.addr('fpuSignExp', r) >>> 1];
    return { sign: se >> 15, exp: se & EXP_MAX, mant: this.s.get64('fpuMant', r) };
  }
  writePhys(r: number, v: F80): void {
    this.s.u16[this.s.addr('fpuSignExp', r) >>> 1] = (v.sign << 15) | v.exp;
    this.s.set64('fpuMant', v.mant, r);
  }

  isEmpty(i: number): boolean {
    return this.tagPhys(this.phys(i)) === TAG_EMPTY;
  }
  /** ST(i) whatever its tag. */
  st(i: number): F80 {
    return this.readPhys(this.phys(i));
  }
  /** Writes ST(i) and tags it by its contents. */
  setSt(i: number, v: F80): void {
    const r = this.phys(i);
    this.writePhys(r, v);
    this.setTagPhys(r, tagOf(v));
  }
  /** Marks ST(0) empty and increments TOP. */
  pop(): void {
    this.setTagPhys(this.phys(0), TAG_EMPTY);
    this.top = this.top + 1;
  }
  /** Decrements TOP and writes the new ST(0). */
  push(v: F80): void {
    this.top = this.top - 1;
    this.setSt(0, v);
  }

  /** The environment for one instruction: masks, rounding and precision control. */
  env(): FpEnv {
    const cw = this.cw;
    return new FpEnv(cw & EXCEPTIONS, ((cw >> 10) & 3) as Rc, PRECISION_BITS[(cw >> 8) & 3]);
  }

  /**
   * Records an instruction's exceptions: the sticky flags, and ES and B when one of them is
   * unmasked (SDM Vol. 1 8.1.3.1, 8.5). `c1` is the new C1 (rounded up, or the stack fault
   * direction), undefined to leave it.
   */
  commit(env: FpEnv, c1?: boolean): void {
    let sw = this.sw | (env.flags & (EXCEPTIONS | Sw.SF));
    if (env.flags & ~env.masks & EXCEPTIONS) sw |= Sw.ES | Sw.B;
    if (c1 !== undefined) sw = c1 ? sw | Sw.C1 : sw & ~Sw.C1;
    this.sw = sw;
  }

  /** Sets C0-C3 to `cc` (a mask of Sw.C0..C3). */
  setCc(cc: number, mask = Sw.C0 | Sw.C1 | Sw.C2 | Sw.C3): void {
    this.sw = (this.sw & ~mask) | (cc & mask);
  }

  /** FNINIT (SDM Vol. 2A FINIT): CW 037FH, SW 0, TW all empty, pointers and opcode cleared. */
  init(): void {
    this.cw = CW_INIT;
    this.sw = 0;
    this.tw = TW_EMPTY;
    const s = this.s;
    s.u16[s.addr('fpuFop') >>> 1] = 0;
    s.u16[s.addr('fpuCs') >>> 1] = 0;
    s.u16[s.addr('fpuDs') >>> 1] = 0;
    s.set64('fpuIp', 0n);
    s.set64('fpuDp', 0n);
  }

  /** The tag word FSTENV/FSAVE store: empty registers stay 11, others are classified (SDM Vol. 1 8.1.7). */
  fullTagWord(): number {
    let tw = 0;
    for (let r = 0; r < 8; r++) tw |= (this.tagPhys(r) === TAG_EMPTY ? TAG_EMPTY : tagOf(this.readPhys(r))) << (2 * r);
    return tw;
  }
}

/** Stack underflow (SDM Vol. 1 8.5.1.1): IE and SF with C1 = 0; the masked response is the indefinite. */
export function stackUnderflow(env: FpEnv): F80 | null {
  env.flags |= Sw.IE | Sw.SF;
  return env.masked(Sw.IE) ? INDEFINITE : null;
}

/**
 * The x87 state after power-up or RESET (SDM Vol. 3A Table 10-1): CW 0040H, SW 0, TW 5555H
 * (every register +0.0 and tagged zero), pointers and opcode 0. INIT leaves it unchanged.
 */
export function resetFpu(s: VcpuState): void {
  const fpu = new Fpu(s);
  fpu.init();
  fpu.cw = CW_RESET;
  fpu.tw = TW_RESET;
  for (let r = 0; r < 8; r++) fpu.writePhys(r, { sign: 0, exp: 0, mant: 0n });
}
