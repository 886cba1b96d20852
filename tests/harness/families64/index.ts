// The 64-bit families, in recording order.
import type { Family64 } from '../record64.ts';
import { ALU64_FAMILIES } from './alu.ts';
import { BIT64_FAMILIES } from './bits.ts';
import { BRANCH64_FAMILIES } from './branch.ts';
import { CANONICAL64_FAMILIES } from './canonical.ts';
import { COND64_FAMILIES } from './cond.ts';
import { EXCHANGE64_FAMILIES } from './exchange.ts';
import { EXT64_FAMILIES } from './ext.ts';
import { MOVE64_FAMILIES } from './move.ts';
import { MULDIV64_FAMILIES } from './muldiv.ts';
import { NOP64_FAMILIES } from './nop.ts';
import { PREFIX64_FAMILIES } from './prefix.ts';
import { SHIFT64_FAMILIES } from './shift.ts';
import { SMC64_FAMILIES } from './smc.ts';
import { STACK64_FAMILIES } from './stack.ts';
import { STRING64_FAMILIES } from './string.ts';

export const FAMILIES64: readonly Family64[] = [
  ...ALU64_FAMILIES,
  ...MULDIV64_FAMILIES,
  ...SHIFT64_FAMILIES,
  ...BIT64_FAMILIES,
  ...EXCHANGE64_FAMILIES,
  ...MOVE64_FAMILIES,
  ...COND64_FAMILIES,
  ...STRING64_FAMILIES,
  ...STACK64_FAMILIES,
  ...BRANCH64_FAMILIES,
  ...PREFIX64_FAMILIES,
  ...NOP64_FAMILIES,
  ...SMC64_FAMILIES,
  ...EXT64_FAMILIES,
  ...CANONICAL64_FAMILIES,
];
