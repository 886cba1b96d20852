// x87 status and control word bits (SDM Vol. 1 8.1.3, Figure 8-5; 8.1.5, Figure 8-6).

/** FPU status word. */
export const enum Sw {
  IE = 1 << 0, DE = 1 << 1, ZE = 1 << 2, OE = 1 << 3, UE = 1 << 4, PE = 1 << 5,
  SF = 1 << 6, ES = 1 << 7, C0 = 1 << 8, C1 = 1 << 9, C2 = 1 << 10, C3 = 1 << 14, B = 1 << 15,
  TOP_SHIFT = 11, TOP_MASK = 7 << 11,
}

/** The six exception flags; the same bits are the masks in the control word. */
export const EXCEPTIONS = 0x3f;
export const CONDITION_CODES = Sw.C0 | Sw.C1 | Sw.C2 | Sw.C3;

/** FPU control word. */
export const enum Cw {
  IM = 1 << 0, DM = 1 << 1, ZM = 1 << 2, OM = 1 << 3, UM = 1 << 4, PM = 1 << 5,
  PC_SHIFT = 8, RC_SHIFT = 10,
}

/** The value FNINIT loads into the control word (SDM Vol. 1 Table 8-2, Vol. 2A FINIT). */
export const CW_INIT = 0x037f;
/** The control word after power-up or RESET (SDM Vol. 3A Table 10-1). */
export const CW_RESET = 0x0040;
/** Tag word after RESET: every register tagged zero (SDM Vol. 3A Table 10-1). */
export const TW_RESET = 0x5555;
/** Tag word with every register empty (full two-bit encoding). */
export const TW_EMPTY = 0xffff;

/**
 * Bits FLDCW/FLDENV/FRSTOR keep: masks, PC, RC and the 287 infinity-control bit 12; bit 6
 * reads as 1 and bits 7, 15:13 as 0 (SDM Vol. 1 Figure 8-6 "Reserved"; as the host does).
 */
export const CW_WRITABLE = 0x1f3f;
export const CW_ONES = 0x0040;

/** Rounding control (SDM Vol. 1 Table 4-8). */
export const enum Rc {
  Nearest = 0,
  Down = 1,
  Up = 2,
  Zero = 3,
}

/** Significand bits for each precision-control setting (SDM Vol. 1 Table 8-2); the reserved 01 rounds to 64 bits on the host. */
export const PRECISION_BITS: readonly number[] = [24, 64, 53, 64];
