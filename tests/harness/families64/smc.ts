// 64-bit self-modifying code: a store into the bytes of an instruction that follows in the
// same straight-line run (an immediate, or a whole opcode), through RIP-relative and register
// addresses and STOSB, with and without a jump between the store and the modified
// instruction. The host executes the modified bytes: stores to code are checked against
// instructions already fetched (SDM Vol. 3A §11.6, "Self-Modifying Code"). A JIT has to end
// or re-translate the running block to match.

import type { Family64 } from '../record64.ts';
import type { Rng } from '../lib/rng.ts';
import { LAYOUT } from '../fixture-format.ts';
import { Builder64, RAX, RBX, RCX, RDI, le64, u64, type CaseSpec64 } from '../lib/x86-64.ts';

interface Smc {
  asm: string;
  code: (imm: number) => number[];
  setup?: (b: Builder64, imm: number) => void;
}

const SMC: Smc[] = [
  // C6 05 disp32 imm8 writes the imm8 of the MOV AL that follows (offset 8).
  { asm: 'mov byte [rip+1],imm8; mov al,0', code: (v) => [0xc6, 0x05, 1, 0, 0, 0, v & 0xff, 0xb0, 0x00] },
  {
    asm: 'mov dword [rip+1],imm32; mov eax,0',
    code: (v) => [0xc7, 0x05, 1, 0, 0, 0, ...le64(v, 4), 0xb8, 0, 0, 0, 0],
  },
  // 66 C7 05 disp32 imm16 turns the two NOPs after it into INC EAX (FF C0).
  {
    asm: 'mov word [rip+0],0xc0ff; nop; nop (becomes inc eax)',
    code: () => [0x66, 0xc7, 0x05, 0, 0, 0, 0, 0xff, 0xc0, 0x90, 0x90],
  },
  {
    asm: 'mov byte [rip+3],imm8; jmp +0; mov al,0',
    code: (v) => [0xc6, 0x05, 3, 0, 0, 0, v & 0xff, 0xeb, 0x00, 0xb0, 0x00],
  },
  {
    asm: 'mov [rbx],cl; add al,0 (rbx = the immediate)',
    code: () => [0x88, 0x0b, 0x04, 0x00],
    setup: (b) => b.set(64, RBX, BigInt(LAYOUT.codeBase + 3)),
  },
  {
    asm: 'stosb; add cl,0 (rdi = the immediate)',
    code: () => [0xaa, 0x80, 0xc1, 0x00],
    setup: (b) => b.set(64, RDI, BigInt(LAYOUT.codeBase + 3)).flags(0, 1 << 10),
  },
  // Two stores: the first patches the second's immediate, which patches the MOV after it.
  {
    asm: 'mov byte [rip+6],imm8; mov byte [rip+1],0; mov al,0',
    code: (v) => [0xc6, 0x05, 6, 0, 0, 0, v & 0xff, 0xc6, 0x05, 1, 0, 0, 0, 0x00, 0xb0, 0x00],
  },
];

function generateSmc(rng: Rng): CaseSpec64[] {
  const out: CaseSpec64[] = [];
  for (const t of SMC)
    for (let g = 0; g < 12; g++) {
      const imm = rng.u32();
      for (let k = 0; k < 8; k++) {
        const b = new Builder64(rng);
        b.set(64, RAX, u64(rng)).set(64, RCX, u64(rng));
        t.setup?.(b, imm);
        out.push(b.build(t.asm, 'MOV', { size: 8 }, t.code(imm)));
      }
    }
  return out;
}

export const SMC64_FAMILIES: Family64[] = [
  {
    name: 'smc64',
    description:
      '64-bit mode: stores into the following instructions of the same straight-line code (RIP-relative, register, STOSB; with and without a jump)',
    generate: generateSmc,
  },
];
