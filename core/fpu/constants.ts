// The constants FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2 and FLDZ load, rounded to 64
// significand bits by the rounding control (SDM Vol. 2A FLD1/FLDL2T/FLDL2E/FLDPI/FLDLG2/
// FLDLN2/FLDZ; Vol. 1 8.3.8). The SDM speaks of a 66-bit internal constant; the recorded
// host rounds FLDLG2 to nearest as the exact value does (bit 66 onwards decide the tie of
// the first two extra bits), so the constants are held with 128 bits and rounded once.
import { EXP_BIAS, type F80 } from './float80.ts';
import { Rc } from './status.ts';

/** A positive irrational constant: its first 128 significand bits and unbiased exponent. */
interface Constant128 {
  readonly sig: bigint;
  readonly exp: number;
}

// The binary expansions (computed with 400-bit arithmetic; e.g. pi = C90FDAA2 2168C234 C4C6628B ...h × 2^-126).
const PI: Constant128 = { sig: 0xc90fdaa22168c234c4c6628b80dc1cd1n, exp: 1 };
const L2T: Constant128 = { sig: 0xd49a784bcd1b8afe492bf6ff4dafdb4cn, exp: 1 };
const L2E: Constant128 = { sig: 0xb8aa3b295c17f0bbbe87fed0691d3e88n, exp: 0 };
const LG2: Constant128 = { sig: 0x9a209a84fbcff7988f8959ac0b7c9178n, exp: -2 };
const LN2: Constant128 = { sig: 0xb17217f7d1cf79abc9e3b39803f2f6afn, exp: -1 };

const LOW_HALF = 1n << 63n;

/** Rounds to 64 bits; the bits beyond the 128 held are never all zero (the constants are irrational). */
function rounded(c: Constant128, rc: Rc): F80 {
  let m = c.sig >> 64n;
  const rest = c.sig & ((1n << 64n) - 1n);
  if ((rc === Rc.Nearest && rest >= LOW_HALF) || rc === Rc.Up) m += 1n;
  return { sign: 0, exp: c.exp + EXP_BIAS, mant: m };
}

export const CONSTANTS: Readonly<Record<string, (rc: Rc) => F80>> = {
  fld1: () => ({ sign: 0, exp: EXP_BIAS, mant: 1n << 63n }),
  fldz: () => ({ sign: 0, exp: 0, mant: 0n }),
  fldpi: (rc) => rounded(PI, rc),
  fldl2t: (rc) => rounded(L2T, rc),
  fldl2e: (rc) => rounded(L2E, rc),
  fldlg2: (rc) => rounded(LG2, rc),
  fldln2: (rc) => rounded(LN2, rc),
};
