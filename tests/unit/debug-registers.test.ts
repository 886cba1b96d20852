// Debug exceptions in a running 32-bit guest (SDM Vol. 3A chapter 18): instruction breakpoints
// (faults, RF), data breakpoints (traps after the access, R/W and LEN), the single-step trap
// with the STI and MOV SS shadows (6.8.3), INT1 and INT3. The sequences follow kvm-unit-tests
// x86/debug.c; DR6 values are the SDM's: bits 4-11 and 16-31 read as 1 (0xffff0ff0), B0-B3
// bits 0-3, BS bit 14.
import { describe, expect, it } from 'vitest';
import { Cr4, Flag, Reg } from '../../core/cpu/registers.ts';
import { ExitReason, type TestVm } from '../lib/machine.ts';
import { gate, HANDLER81, IDT, KCODE, protectedVm, putDesc, stackDwords, u32 } from './protection-guest.ts';

const CODE = 0x4000;
const DB_HANDLER = 0x6000;
/** The handler's log: the count at LOG, then (DR6, pushed EIP) pairs from LOG + 0x10. */
const LOG = 0x7000;
const WATCHED = 0x7100;
const DR6_FIXED = 0xffff0ff0;
const BS = 1 << 14;

/**
 * #DB handler: logs DR6 and the pushed EIP, sets RF in the pushed EFLAGS when B0-B3 report a
 * breakpoint (as debug.c's handle_db does for its instruction breakpoint), clears DR6, IRETD.
 */
const HANDLER = [
  0x0f, 0x21, 0xf0, //                         mov eax, dr6
  0x8b, 0x0d, 0x00, 0x70, 0x00, 0x00, //       mov ecx, [LOG]
  0x89, 0x04, 0xcd, 0x10, 0x70, 0x00, 0x00, // mov [LOG + 0x10 + ecx * 8], eax
  0x8b, 0x14, 0x24, //                         mov edx, [esp]
  0x89, 0x14, 0xcd, 0x14, 0x70, 0x00, 0x00, // mov [LOG + 0x14 + ecx * 8], edx
  0xff, 0x05, 0x00, 0x70, 0x00, 0x00, //       inc dword [LOG]
  0xa9, 0x0f, 0x00, 0x00, 0x00, //             test eax, 0xf
  0x74, 0x08, //                               jz +8
  0x81, 0x4c, 0x24, 0x08, 0x00, 0x00, 0x01, 0x00, // or dword [esp + 8], RF
  0x31, 0xc0, //                               xor eax, eax
  0x0f, 0x23, 0xf0, //                         mov dr6, eax
  0xcf, //                                     iretd
];

/** Sets TF through the stack, as debug.c does: pushfd; pop eax; or eax, TF; push eax; popfd. */
const SET_TF = [0x9c, 0x58, 0x0d, 0x00, 0x01, 0x00, 0x00, 0x50, 0x9d];
/** and eax, ~TF (5 bytes); push eax; popfd: the last two single-stepped instructions. */
const CLEAR_TF = [0x25, 0xff, 0xfe, 0xff, 0xff, 0x50, 0x9d];

function debugVm(code: number[]): TestVm {
  const vm = protectedVm(CODE);
  putDesc(vm, IDT + 1 * 8, gate(KCODE, DB_HANDLER, 0xe, 0));
  putDesc(vm, IDT + 3 * 8, gate(KCODE, HANDLER81, 0xe, 3));
  vm.load(DB_HANDLER, HANDLER);
  vm.load(CODE, [...code, 0xf4]);
  return vm;
}

/** The logged #DBs as [DR6, EIP] pairs. */
function log(vm: TestVm): [number, number][] {
  return Array.from({ length: u32(vm, LOG) }, (_, i) => [u32(vm, LOG + 0x10 + 8 * i), u32(vm, LOG + 0x14 + 8 * i)]);
}

const ss = (eip: number): [number, number] => [dr6(BS), eip];
/** A DR6 value: the bits that read as 1 plus `bits`, unsigned. */
const dr6 = (bits: number): number => (DR6_FIXED | bits) >>> 0;

describe('single-step (18.3.1.4)', () => {
  it('traps after each instruction that starts with TF = 1: not after the POPF that sets it, after the one that clears it', () => {
    const vm = debugVm([...SET_TF, ...CLEAR_TF]);
    vm.runExpect(ExitReason.HLT);
    const start = CODE + SET_TF.length + 5;
    expect(log(vm)).toEqual([ss(start), ss(start + 1), ss(start + 2)]);
  });

  it('STI blocking does not delay the trap', () => {
    const vm = debugVm([0xfa, ...SET_TF, 0xfb, ...CLEAR_TF]); // cli; ...; sti; ...
    vm.runExpect(ExitReason.HLT);
    const start = CODE + 1 + SET_TF.length + 1;
    expect(log(vm)).toEqual([ss(start), ss(start + 5), ss(start + 6), ss(start + 7)]);
  });

  it('MOV SS blocking drops the trap of the MOV SS: the first #DB follows the next instruction', () => {
    // mov ecx, ss; pushfd; pop eax; or eax, TF; push eax; popfd; mov ss, ecx; and eax, ~TF; ...
    const vm = debugVm([0x8c, 0xd1, ...SET_TF, 0x8e, 0xd1, ...CLEAR_TF]);
    vm.runExpect(ExitReason.HLT);
    const start = CODE + 2 + SET_TF.length + 2 + 5;
    expect(log(vm)).toEqual([ss(start), ss(start + 1), ss(start + 2)]);
  });

  it('INT1 under MOV SS blocking: a #DB without BS for each INT1, then single-steps', () => {
    const vm = debugVm([0x8c, 0xd1, ...SET_TF, 0x8e, 0xd1, 0xf1, 0xf1, ...CLEAR_TF]);
    vm.runExpect(ExitReason.HLT);
    const start = CODE + 2 + SET_TF.length + 2 + 1;
    expect(log(vm)).toEqual([[dr6(0), start], [dr6(0), start + 1], ss(start + 1 + 5), ss(start + 7), ss(start + 8)]);
  });
});

describe('instruction breakpoints (18.3.1.1)', () => {
  it('fault before the instruction with B0 set; RF set by the handler lets it run once; RF is then cleared', () => {
    const target = CODE + 16;
    // mov eax, target; mov dr0, eax; mov eax, 0x402 (G0); mov dr7, eax; ...; target: nop
    const vm = debugVm([0xb8, ...le32(target), 0x0f, 0x23, 0xc0, 0xb8, 0x02, 0x04, 0x00, 0x00, 0x0f, 0x23, 0xf8, 0x90]);
    vm.vcpu.cpu.state.setLo('dr', dr6(BS | 2), 6); // BS (kept) and B1 (cleared) before the #DB
    vm.runExpect(ExitReason.HLT);
    expect(log(vm)).toEqual([[dr6(BS | 1), target]]);
    expect(vm.flags() & Flag.RF).toBe(0);
  });

  it('a breakpoint set through KVM_SET_DEBUGREGS-style state (DR2, G2) is honoured too', () => {
    const vm = debugVm([0x90, 0x90, 0x90]);
    const s = vm.vcpu.cpu.state;
    s.setLo('dr', CODE + 2, 2);
    s.setLo('dr', 0x400 | (1 << 5), 7);
    vm.runExpect(ExitReason.HLT);
    expect(log(vm)).toEqual([[dr6(4), CODE + 2]]);
  });
});

describe('data breakpoints (18.3.1.2)', () => {
  /** DR1 = WATCHED, DR7 = G1 with R/W1 and LEN1 = 4 bytes. */
  function watchVm(code: number[], rw: 1 | 3): TestVm {
    const vm = debugVm(code);
    const s = vm.vcpu.cpu.state;
    s.setLo('dr', WATCHED, 1);
    s.setLo('dr', 0x400 | (1 << 3) | (((3 << 2) | rw) << 20), 7);
    return vm;
  }

  it('a write traps after the instruction with B1; a read does not match a write breakpoint', () => {
    // mov eax, [WATCHED]; mov dword [WATCHED], 42
    const vm = watchVm([0xa1, ...le32(WATCHED), 0xc7, 0x05, ...le32(WATCHED), 42, 0, 0, 0], 1);
    vm.runExpect(ExitReason.HLT);
    expect(log(vm)).toEqual([[dr6(2), CODE + 15]]);
    expect(u32(vm, WATCHED)).toBe(42);
  });

  it('R/W = 11B matches reads; any byte of the access in the 4-byte range matches', () => {
    // mov al, [WATCHED + 3]; mov ax, [WATCHED - 1]; mov al, [WATCHED + 4]
    const vm = watchVm([0xa0, ...le32(WATCHED + 3), 0x66, 0xa1, ...le32(WATCHED - 1), 0xa0, ...le32(WATCHED + 4)], 3);
    vm.runExpect(ExitReason.HLT);
    expect(log(vm)).toEqual([[dr6(2), CODE + 5], [dr6(2), CODE + 11]]);
  });

  it('with TF too, one #DB reports both B1 and BS', () => {
    const vm = watchVm([...SET_TF, 0xc7, 0x05, ...le32(WATCHED), 1, 0, 0, 0, ...CLEAR_TF], 1);
    vm.runExpect(ExitReason.HLT);
    const after = CODE + SET_TF.length + 10;
    expect(log(vm)[0]).toEqual([dr6(BS | 2), after]);
  });

  it('MOV SS delays a data #DB past the next instruction; INT1 there takes it in its own #DB', () => {
    // mov ss, [WATCHED]; int1; hlt: one #DB, after INT1, with B1
    const vm = watchVm([0x8e, 0x15, ...le32(WATCHED), 0xf1], 3);
    vm.load(WATCHED, [0x10, 0, 0, 0]); // KDATA
    vm.runExpect(ExitReason.HLT);
    expect(log(vm)).toEqual([[dr6(2), CODE + 7]]);
  });
});

describe('I/O breakpoints (18.2.4, R/W = 10B with CR4.DE)', () => {
  it('OUT to a watched port traps with B0 once the I/O exit completes; without CR4.DE nothing matches', () => {
    for (const de of [true, false]) {
      const vm = debugVm([0xe6, 0x80]); // out 0x80, al
      const s = vm.vcpu.cpu.state;
      if (de) s.setLo('cr4', Cr4.DE);
      s.setLo('dr', 0x80, 0);
      s.setLo('dr', 0x400 | (1 << 1) | (2 << 16), 7);
      vm.runExpect(ExitReason.IO);
      vm.runExpect(ExitReason.HLT);
      expect(log(vm)).toEqual(de ? [[dr6(1), CODE + 2]] : []);
    }
  });
});

describe('INT1 and INT3', () => {
  it('INT1 (F1) is a #DB trap that leaves DR6 alone; INT3 is #BP with the next EIP pushed', () => {
    const vm = debugVm([0xf1, 0xcc]);
    vm.runExpect(ExitReason.HLT);
    expect(log(vm)).toEqual([[dr6(0), CODE + 1]]);
    expect(vm.vcpu.cpu.state.getLo('rip')).toBe(HANDLER81 + 1);
    expect(stackDwords(vm, 1)).toEqual([CODE + 2]);
    expect(vm.reg(Reg.RAX)).toBe(0);
  });
});

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
}
