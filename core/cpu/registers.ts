// Architectural register names and bit positions, with the numbers the SDM uses.

/** General-purpose registers in ModRM/REX encoding order (SDM Vol. 2A 2.1.5, Table 2-2). */
export const enum Reg {
  RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7,
  R8 = 8, R9 = 9, R10 = 10, R11 = 11, R12 = 12, R13 = 13, R14 = 14, R15 = 15,
}

/** Segment registers in the Sreg encoding order (SDM Vol. 2A 3.1.1.3), then LDTR and TR slots. */
export const enum Seg {
  ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5, LDTR = 6, TR = 7,
}
export const SEG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'ldt', 'tr'] as const;

/** EFLAGS bits (SDM Vol. 1 3.4.3). */
export const enum Flag {
  CF = 1 << 0, FIXED1 = 1 << 1, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7,
  TF = 1 << 8, IF = 1 << 9, DF = 1 << 10, OF = 1 << 11, IOPL = 3 << 12, NT = 1 << 14,
  RF = 1 << 16, VM = 1 << 17, AC = 1 << 18, VIF = 1 << 19, VIP = 1 << 20, ID = 1 << 21,
}
export const IOPL_SHIFT = 12;
/** The six status flags that arithmetic writes. */
export const STATUS_FLAGS = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.OF;

/** CR0 bits (SDM Vol. 3A 2.5). */
export const enum Cr0 {
  PE = 1 << 0, MP = 1 << 1, EM = 1 << 2, TS = 1 << 3, ET = 1 << 4, NE = 1 << 5,
  WP = 1 << 16, AM = 1 << 18, NW = 1 << 29, CD = 1 << 30, PG = 1 << 31,
}

/** CR4 bits (SDM Vol. 3A 2.5). */
export const enum Cr4 {
  VME = 1 << 0, PVI = 1 << 1, TSD = 1 << 2, DE = 1 << 3, PSE = 1 << 4, PAE = 1 << 5,
  MCE = 1 << 6, PGE = 1 << 7, PCE = 1 << 8, OSFXSR = 1 << 9, OSXMMEXCPT = 1 << 10,
  UMIP = 1 << 11, LA57 = 1 << 12, FSGSBASE = 1 << 16, PCIDE = 1 << 17, OSXSAVE = 1 << 18,
  SMEP = 1 << 20, SMAP = 1 << 21, PKE = 1 << 22, PKS = 1 << 24,
}

/** EFER bits (SDM Vol. 3A 2.2.1, MSR 0xC0000080). */
export const enum Efer {
  SCE = 1 << 0, LME = 1 << 8, LMA = 1 << 10, NXE = 1 << 11,
}

/**
 * Segment access rights in the VMCS format (SDM Vol. 3C 25.4.1, Table 25-2): bits 3:0 type,
 * 4 S, 6:5 DPL, 7 P, 12 AVL, 13 L, 14 D/B, 15 G, 16 unusable.
 */
export const enum SegAttr {
  TYPE_MASK = 0xf, ACCESSED = 1, RW = 2, DC = 4, CODE = 8, S = 1 << 4, DPL_SHIFT = 5,
  DPL_MASK = 3 << 5, P = 1 << 7, AVL = 1 << 12, L = 1 << 13, DB = 1 << 14, G = 1 << 15,
  UNUSABLE = 1 << 16,
}

/** Exception vectors (SDM Vol. 3A 6.3.1, Table 6-1). */
export const enum Vector {
  DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8,
  TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19,
}
