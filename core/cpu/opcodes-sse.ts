// The SIMD rows of the opcode table (MMX, SSE through SSE4.2; SDM Vol. 2D Tables A-3 to
// A-5), merged into the 0F, 0F 38 and 0F 3A maps by opcodes.ts by mandatory prefix.
import type { MapRow } from './opcode-form.ts';

export const SSE_FORMS: readonly MapRow[] = [];
