// MXCSR, the SSE control and status register (SDM Vol. 1 10.2.3, Figure 10-3).

export const enum Mxcsr {
  /** Exception flags: invalid, denormal, divide-by-zero, overflow, underflow, precision. */
  IE = 1 << 0, DE = 1 << 1, ZE = 1 << 2, OE = 1 << 3, UE = 1 << 4, PE = 1 << 5,
  /** Denormals are zeros (source operands). */
  DAZ = 1 << 6,
  /** Exception masks, in the flags' order. */
  IM = 1 << 7, DM = 1 << 8, ZM = 1 << 9, OM = 1 << 10, UM = 1 << 11, PM = 1 << 12,
  RC_SHIFT = 13, RC_MASK = 3 << 13,
  /** Flush to zero (tiny results with underflow masked). */
  FTZ = 1 << 15,
}

/** All six exception flags. */
export const MXCSR_FLAGS = 0x3f;
/** Masks are the flags shifted up by this. */
export const MXCSR_MASK_SHIFT = 7;
/** Power-up and reset value: all exceptions masked, round to nearest (SDM Vol. 3A Table 10-1). */
export const MXCSR_RESET = 0x1f80;
/**
 * The bits LDMXCSR/FXRSTOR may set; others raise #GP(0). 0xFFFF: DAZ is supported (SDM Vol.
 * 1 11.6.6 "Guidelines for Writing to the MXCSR Register"; FXSAVE stores it as MXCSR_MASK).
 */
export const MXCSR_MASK = 0xffff;

/** Rounding control (SDM Vol. 1 4.8.4, Table 4-8). */
export const enum Rounding {
  Nearest = 0, Down = 1, Up = 2, Zero = 3,
}

/** The parts of MXCSR arithmetic depends on. */
export interface FpEnv {
  readonly rc: Rounding;
  readonly daz: boolean;
  readonly ftz: boolean;
  /** Underflow masked: masked underflow is only reported with an inexact result. */
  readonly underflowMasked: boolean;
}

export function envOf(mxcsr: number, rc: Rounding = ((mxcsr & Mxcsr.RC_MASK) >> Mxcsr.RC_SHIFT) as Rounding): FpEnv {
  return { rc, daz: (mxcsr & Mxcsr.DAZ) !== 0, ftz: (mxcsr & Mxcsr.FTZ) !== 0, underflowMasked: (mxcsr & Mxcsr.UM) !== 0 };
}
