// The x87 escape opcodes D8-DF (SDM Vol. 2D A.4, Tables ), merged into the
// one-byte map by opcodes.ts. Until the FPU exists every escape decodes (ModRM and
// displacement) to one form, so that a CPU without an FPU raises #NM under CR0.EM/TS as
// kernels with math emulation expect.
import { f, type OpcodeEntry } from './opcode-form.ts';

export const X87_ESCAPES: Readonly<Record<number, OpcodeEntry>> = Object.fromEntries(
  [0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf].map((op) => [op, f('x87', ['Ev'], { feature: 'fpu' })]),
);
