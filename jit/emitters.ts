// The JIT's dispatch: mnemonic (from core/cpu/opcodes.ts) -> emitter. An opcode form whose
// mnemonic has no emitter exits with KVM_EXIT_INTERNAL_ERROR naming it (jit/translate.ts).
import type { BlockContext } from './context.ts';
import { aluEmitters } from './emit/alu.ts';
import { controlEmitters } from './emit/control.ts';
import { moveEmitters } from './emit/moves.ts';
import { stackEmitters } from './emit/stack.ts';
import { systemEmitters } from './emit/system.ts';
import { segmentEmitters } from './emit/segments.ts';
import { x87Emitters } from './emit/x87.ts';
import { muldivEmitters } from './emit/muldiv.ts';
import { shiftEmitters } from './emit/shift.ts';
import { bitsEmitters } from './emit/bits.ts';
import { bcdEmitters } from './emit/bcd.ts';
import { atomicEmitters } from './emit/atomic.ts';
import { flagopsEmitters } from './emit/flagops.ts';
import { stringEmitters } from './emit/string.ts';
import { ioEmitters } from './emit/io.ts';
import { identityEmitters } from './emit/identity.ts';
import { farEmitters } from './emit/far.ts';
import { enterEmitters } from './emit/enter.ts';
import { syscallEmitters } from './emit/syscall.ts';
import { hypercallEmitters } from './emit/hypercall.ts';
import { sseMoveEmitters } from './emit/sse-move.ts';
import { sseIntEmitters } from './emit/sse-int.ts';
import { sseFloatEmitters } from './emit/sse-float.ts';
import { sseStateEmitters } from './emit/sse-state.ts';
import { sseStringEmitters } from './emit/sse-string.ts';
import { sseCryptoEmitters } from './emit/sse-crypto.ts';
import { bmiEmitters } from './emit/bmi.ts';
import { randomEmitters } from './emit/random.ts';

export type Emitter = (ctx: BlockContext) => void;

export const EMITTERS: Readonly<Record<string, Emitter>> = {
  ...aluEmitters,
  ...moveEmitters,
  ...stackEmitters,
  ...controlEmitters,
  ...segmentEmitters,
  ...systemEmitters,
  ...x87Emitters,
  ...muldivEmitters,
  ...shiftEmitters,
  ...bitsEmitters,
  ...bcdEmitters,
  ...atomicEmitters,
  ...flagopsEmitters,
  ...stringEmitters,
  ...ioEmitters,
  ...identityEmitters,
  ...farEmitters,
  ...enterEmitters,
  ...syscallEmitters,
  ...hypercallEmitters,
  ...sseMoveEmitters,
  ...sseIntEmitters,
  ...sseFloatEmitters,
  ...sseStateEmitters,
  ...sseStringEmitters,
  ...sseCryptoEmitters,
  ...bmiEmitters,
  ...randomEmitters,
};
