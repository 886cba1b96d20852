// XSAVEC, XSAVES, XRSTORS and the compacted form of XRSTOR, IA32_XSS, XINUSE and CPUID leaf
// 0DH sub-leaf 1 (SDM Vol. 1 13.4-13.12, Vol. 2D XSAVEC/XSAVES/XRSTOR/XRSTORS). Expected
// values come from the SDM sections cited; the last group compares XSAVEC images with the
// host CPU's (a tiny gcc -m32 program built and run here when the host has XSAVEC).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cr0, Cr4, Reg, Vector } from '../../core/cpu/registers.ts';
import { ExitReason } from '../../core/kvm/exit-reason.ts';
import { createTestVm, enterFlat32, type TestVm } from '../lib/machine.ts';
import { longModeVm } from './long-mode-guest.ts';
import { runBlocks } from './system-lib.ts';

const CODE = 0x1000;
const AREA = 0x4000;
const IMAGE = 0x5000;
const FILL = 0xaa;
const XSAVE_SIZE = 576;
const COMPACTED = 1n << 63n;

const XSAVEC = [0x0f, 0xc7, 0x25, 0x00, 0x40, 0x00, 0x00]; // xsavec [0x4000]
const XSAVES = [0x0f, 0xc7, 0x2d, 0x00, 0x40, 0x00, 0x00]; // xsaves [0x4000]
const XRSTORS = [0x0f, 0xc7, 0x1d, 0x00, 0x40, 0x00, 0x00]; // xrstors [0x4000]
const XRSTOR = [0x0f, 0xae, 0x2d, 0x00, 0x40, 0x00, 0x00]; // xrstor [0x4000]
const XSAVE = [0x0f, 0xae, 0x25, 0x00, 0x40, 0x00, 0x00]; // xsave [0x4000]
const XRSTOR_IMAGE = [0x0f, 0xae, 0x2d, 0x00, 0x50, 0x00, 0x00]; // xrstor [0x5000]
const HLT = 0xf4;
const movEax = (v: number): number[] => [0xb8, v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24];

/** Flat 32-bit CPL 0 with CR4.OSFXSR and OSXSAVE, XCR0 = x87 | SSE, EDX:EAX = `rfbm`, the area filled with 0xAA. */
function xsaveVm(code: number[], rfbm = 3): TestVm {
  const vm = createTestVm();
  vm.load(CODE, [...code, HLT]);
  vm.load(AREA, new Array<number>(XSAVE_SIZE).fill(FILL));
  enterFlat32(vm, CODE);
  const s = vm.vcpu.cpu.state;
  s.setLo('cr4', Cr4.OSFXSR | Cr4.OSXMMEXCPT | Cr4.OSXSAVE);
  s.set64('xcr0', 3n);
  vm.setReg(Reg.RAX, rfbm);
  vm.setReg(Reg.RDX, 0);
  vm.vcpu.cpu.refreshMode();
  return vm;
}

/** Runs to HLT; returns the vector of a fault raised on the way (no IDT: caught where raised). */
const run = (vm: TestVm): number | 'hlt' => runBlocks(vm, 0).vector ?? 'hlt';

const u16 = (vm: TestVm, a: number): number => vm.ram[a]! | (vm.ram[a + 1]! << 8);
const u32 = (vm: TestVm, a: number): number => (u16(vm, a) | (u16(vm, a + 2) << 16)) >>> 0;
const u64 = (vm: TestVm, a: number): bigint => (BigInt(u32(vm, a + 4)) << 32n) | BigInt(u32(vm, a));
const put64 = (vm: TestVm, a: number, v: bigint): void =>
  vm.load(a, Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn)));
const untouched = (vm: TestVm, from: number, to: number): boolean => vm.ram.subarray(AREA + from, AREA + to).every((b) => b === FILL);

/** The x87 initial configuration (SDM Vol. 1 13.6): FCW 037FH, FSW 0, all tags empty, pointers and registers 0. */
function initX87(vm: TestVm): void {
  const s = vm.vcpu.cpu.state;
  s.u16[s.addr('fpuCw') >>> 1] = 0x037f;
  s.u16[s.addr('fpuSw') >>> 1] = 0;
  s.u16[s.addr('fpuTw') >>> 1] = 0xffff;
  s.u16[s.addr('fpuFop') >>> 1] = 0;
  s.u16[s.addr('fpuCs') >>> 1] = 0;
  s.u16[s.addr('fpuDs') >>> 1] = 0;
  s.set64('fpuIp', 0n);
  s.set64('fpuDp', 0n);
  for (let r = 0; r < 8; r++) {
    s.set64('fpuMant', 0n, r);
    s.u16[s.addr('fpuSignExp', r) >>> 1] = 0;
  }
}

/** Both components in their initial configuration, MXCSR 1F80H. */
function initAll(vm: TestVm): void {
  initX87(vm);
  const s = vm.vcpu.cpu.state;
  for (let i = 0; i < 32; i++) s.set64('xmm', 0n, i);
  s.setU32('mxcsr', 0x1f80);
}

describe('CPUID leaf 0DH sub-leaf 1 and IA32_XSS (SDM Vol. 2A CPUID; Vol. 1 13.3)', () => {
  it('enumerates XSAVEOPT, XSAVEC, XGETBV with ECX = 1 and XSAVES; EBX is the compacted size; no IA32_XSS bits', () => {
    const [eax, ebx, ecx, edx] = createTestVm().vcpu.cpu.env.cpuid.query(0xd, 1);
    expect(eax & 0xf).toBe(0xf);
    expect(ebx).toBe(XSAVE_SIZE); // legacy region 512 + header 64, no extended components
    expect([ecx, edx]).toEqual([0, 0]);
  });
  it('IA32_XSS reads 0, takes 0, and any supervisor-component bit is #GP(0)', () => {
    const rdmsr = [0xb9, 0xa0, 0x0d, 0x00, 0x00, 0x0f, 0x32]; // mov ecx, 0xda0; rdmsr
    const wrmsr = (eax: number): number[] => [0xb9, 0xa0, 0x0d, 0x00, 0x00, ...movEax(eax), 0x31, 0xd2, 0x0f, 0x30];
    const vm = xsaveVm(rdmsr, 0x1234);
    expect(run(vm)).toBe('hlt');
    expect(vm.reg(Reg.RAX)).toBe(0);
    expect(run(xsaveVm(wrmsr(0)))).toBe('hlt');
    expect(run(xsaveVm(wrmsr(1 << 8)))).toBe(Vector.GP); // PT state (component 8) is not supported
  });
});

describe('XSAVEC (SDM Vol. 1 13.10)', () => {
  it('saves x87 and SSE in use: XSTATE_BV = RFBM AND XINUSE, XCOMP_BV = RFBM | bit 63, nothing else of the header', () => {
    const vm = xsaveVm(XSAVEC);
    initAll(vm);
    const s = vm.vcpu.cpu.state;
    s.u16[s.addr('fpuCw') >>> 1] = 0x027f;
    s.set64('xmm', 0x1122334455667788n, 6); // XMM3 low quadword
    expect(run(vm)).toBe('hlt');
    expect(u64(vm, AREA + 512)).toBe(3n);
    expect(u64(vm, AREA + 520)).toBe(COMPACTED | 3n);
    expect(untouched(vm, 528, XSAVE_SIZE)).toBe(true); // header bytes 63:16
    expect(untouched(vm, 464, 512)).toBe(true); // legacy bytes 511:464
    expect(u16(vm, AREA)).toBe(0x027f);
    expect(u32(vm, AREA + 24)).toBe(0x1f80);
    expect(u64(vm, AREA + 160 + 48)).toBe(0x1122334455667788n);
  });
  it('init optimization: components in their initial configuration are not written and their XSTATE_BV bits are 0', () => {
    const vm = xsaveVm(XSAVEC);
    initAll(vm);
    expect(run(vm)).toBe('hlt');
    expect(u64(vm, AREA + 512)).toBe(0n);
    expect(u64(vm, AREA + 520)).toBe(COMPACTED | 3n);
    expect(untouched(vm, 0, 512)).toBe(true);
  });
  it('saves SSE state (XMM and MXCSR) when MXCSR is not 1F80H though the XMM registers are 0', () => {
    const vm = xsaveVm(XSAVEC);
    initAll(vm);
    vm.vcpu.cpu.state.setU32('mxcsr', 0x1f80 | (3 << 13));
    expect(run(vm)).toBe('hlt');
    expect(u64(vm, AREA + 512)).toBe(2n);
    expect(u32(vm, AREA + 24)).toBe(0x1f80 | (3 << 13));
    expect(u64(vm, AREA + 160)).toBe(0n);
    expect(untouched(vm, 0, 24)).toBe(true); // the x87 part of the legacy region
  });
  it('clears XSTATE_BV bits outside RFBM and puts only RFBM in XCOMP_BV', () => {
    const vm = xsaveVm(XSAVEC, 1);
    vm.vcpu.cpu.state.set64('xmm', 1n, 0);
    expect(run(vm)).toBe('hlt');
    expect(u64(vm, AREA + 512)).toBe(1n); // the reset x87 state (FCW 0040H) is in use
    expect(u64(vm, AREA + 520)).toBe(COMPACTED | 1n);
    expect(untouched(vm, 160, 176)).toBe(true);
  });
  it('is #GP(0) for an area not 64-byte aligned, #UD without CR4.OSXSAVE, #NM with CR0.TS', () => {
    expect(run(xsaveVm([0x0f, 0xc7, 0x25, 0x20, 0x40, 0x00, 0x00]))).toBe(Vector.GP);
    const ud = xsaveVm(XSAVEC);
    ud.vcpu.cpu.state.setLo('cr4', Cr4.OSFXSR);
    ud.vcpu.cpu.refreshMode();
    expect(run(ud)).toBe(Vector.UD);
    const nm = xsaveVm(XSAVEC);
    nm.vcpu.cpu.state.setLo('cr0', nm.vcpu.cpu.state.getLo('cr0') | Cr0.TS);
    nm.vcpu.cpu.refreshMode();
    expect(run(nm)).toBe(Vector.NM);
  });
});

describe('XINUSE (SDM Vol. 1 13.6) through XGETBV with ECX = 1 and XSAVE', () => {
  const XGETBV1 = [0xb9, 0x01, 0x00, 0x00, 0x00, 0x0f, 0x01, 0xd0]; // mov ecx, 1; xgetbv
  it('XGETBV(1) is XCR0 AND XINUSE: 0 in the initial configuration, bit 1 once an XMM register is not 0', () => {
    const vm = xsaveVm(XGETBV1);
    initAll(vm);
    expect(run(vm)).toBe('hlt');
    expect(vm.reg(Reg.RAX)).toBe(0);
    const used = xsaveVm(XGETBV1);
    initAll(used);
    used.vcpu.cpu.state.set64('xmm', 1n, 15); // XMM7 high quadword
    expect(run(used)).toBe('hlt');
    expect(used.reg(Reg.RAX)).toBe(2);
  });
  it('XSAVEOPT skips components not in use but writes MXCSR (SDM Vol. 1 13.9); XSTATE_BV as for XSAVE', () => {
    const vm = xsaveVm([0x0f, 0xae, 0x35, 0x00, 0x40, 0x00, 0x00]); // xsaveopt [0x4000]
    initAll(vm);
    put64(vm, AREA + 512, 0n);
    expect(run(vm)).toBe('hlt');
    expect(u64(vm, AREA + 512)).toBe(0n);
    expect(u32(vm, AREA + 24)).toBe(0x1f80);
    expect(untouched(vm, 0, 24)).toBe(true);
    expect(untouched(vm, 32, 512)).toBe(true); // ST0-ST7 and the XMM registers
  });
  it('XSAVE writes XSTATE_BV[i] = XINUSE[i] for RFBM and keeps the other bits', () => {
    const vm = xsaveVm(XSAVE);
    initAll(vm);
    put64(vm, AREA + 512, 0xf0n);
    expect(run(vm)).toBe('hlt');
    expect(u64(vm, AREA + 512)).toBe(0xf0n);
    expect(u16(vm, AREA)).toBe(0x037f); // XSAVE writes the components in RFBM even when not in use
  });
});

describe('XRSTOR of a compacted image (SDM Vol. 1 13.8.2)', () => {
  /** An area holding FCW 027FH, MXCSR with RC = 11B, XMM0 = 5, and the given header. */
  function image(vm: TestVm, xstateBv: bigint, xcompBv: bigint): void {
    vm.load(AREA, new Array<number>(XSAVE_SIZE).fill(0));
    vm.load(AREA, [0x7f, 0x02]);
    vm.load(AREA + 24, [0x80, 0x7f, 0x00, 0x00]);
    put64(vm, AREA + 160, 5n);
    put64(vm, AREA + 512, xstateBv);
    put64(vm, AREA + 520, xcompBv);
  }
  it('loads the components in XSTATE_BV and initializes SSE otherwise, MXCSR included (1F80H)', () => {
    const vm = xsaveVm(XRSTOR);
    image(vm, 1n, COMPACTED | 3n);
    const s = vm.vcpu.cpu.state;
    s.set64('xmm', 9n, 6);
    s.setU32('mxcsr', 0x1f80 | (1 << 15));
    expect(run(vm)).toBe('hlt');
    expect(s.u16[s.addr('fpuCw') >>> 1]).toBe(0x027f);
    expect(s.get64('xmm', 6)).toBe(0n);
    expect(s.getU32('mxcsr')).toBe(0x1f80);
  });
  it('loads SSE with its MXCSR from the image; a component in RFBM but not in XCOMP_BV is initialized', () => {
    const vm = xsaveVm(XRSTOR);
    image(vm, 2n, COMPACTED | 2n);
    const s = vm.vcpu.cpu.state;
    expect(run(vm)).toBe('hlt');
    expect(s.get64('xmm', 0)).toBe(5n);
    expect(s.getU32('mxcsr')).toBe(0x7f80);
    expect(s.u16[s.addr('fpuCw') >>> 1]).toBe(0x037f);
  });
  it.each([
    ['XCOMP_BV has a bit outside XCR0', 0n, COMPACTED | 7n, 0],
    ['XSTATE_BV has a bit XCOMP_BV lacks', 3n, COMPACTED | 1n, 0],
    ['bytes 63:16 of the header are not 0', 0n, COMPACTED | 3n, 1],
    ['the standard form has XCOMP_BV bits 62:0 set', 0n, 1n, 0],
  ])('is #GP(0) when %s', (_why, bv, comp, reserved) => {
    const vm = xsaveVm(XRSTOR);
    image(vm, bv, comp);
    vm.load(AREA + 560, [reserved]);
    const s = vm.vcpu.cpu.state;
    s.set64('xmm', 9n, 0);
    expect(run(vm)).toBe(Vector.GP);
    expect(s.get64('xmm', 0)).toBe(9n);
  });
});

describe('XSAVES and XRSTORS (SDM Vol. 1 13.11, 13.12)', () => {
  it('round trip: XSAVES writes the compacted image, XRSTORS restores it', () => {
    const vm = xsaveVm([...XSAVES, 0x0f, 0x57, 0xc0, ...XRSTORS]); // xsaves; xorps xmm0, xmm0; xrstors
    vm.load(AREA, new Array<number>(XSAVE_SIZE).fill(0)); // XSAVES leaves header bytes 63:16 as they are
    const s = vm.vcpu.cpu.state;
    s.set64('xmm', 0xfeedn, 0);
    expect(run(vm)).toBe('hlt');
    expect(u64(vm, AREA + 520)).toBe(COMPACTED | 3n);
    expect(s.get64('xmm', 0)).toBe(0xfeedn);
  });
  it('XRSTORS of a standard-format image (XCOMP_BV bit 63 clear) is #GP(0)', () => {
    const vm = xsaveVm([...XSAVE, ...XRSTORS]);
    expect(run(vm)).toBe(Vector.GP);
  });
  it.each([
    ['XSAVES', XSAVES],
    ['XRSTORS', XRSTORS],
  ])('%s at CPL 3 is #GP(0)', (_name, code) => {
    const vm = xsaveVm(code);
    vm.vcpu.cpu.state.setU32('cpl', 3);
    vm.vcpu.cpu.refreshMode();
    expect(run(vm)).toBe(Vector.GP);
  });
});

describe('XSAVEC64 in 64-bit mode (SDM Vol. 2D XSAVEC; Vol. 1 13.6)', () => {
  it('saves XMM8-XMM15 and the 64-bit FIP; XMM15 alone puts SSE in use', () => {
    const vm = longModeVm(0x10000);
    vm.load(0x10000, [0x48, 0x0f, 0xc7, 0x24, 0x25, 0x00, 0x40, 0x00, 0x00, HLT]); // xsavec64 [0x4000]
    vm.load(AREA, new Array<number>(XSAVE_SIZE).fill(FILL));
    const s = vm.vcpu.cpu.state;
    s.setLo('cr4', s.getLo('cr4') | Cr4.OSFXSR | Cr4.OSXSAVE);
    s.set64('xcr0', 3n);
    s.set64('gpr', 3n, Reg.RAX);
    s.set64('gpr', 0n, Reg.RDX);
    initAll(vm);
    s.set64('fpuIp', 0x123456789an);
    s.set64('xmm', 0x0f0fn, 31); // XMM15 high quadword
    vm.vcpu.cpu.refreshMode();
    vm.runExpect(ExitReason.HLT);
    expect(u64(vm, AREA + 512)).toBe(3n);
    expect(u64(vm, AREA + 8)).toBe(0x123456789an); // REX.W: FIP is 64 bits, no FCS
    expect(u64(vm, AREA + 160 + 15 * 16 + 8)).toBe(0x0f0fn);
    expect(untouched(vm, 464, 512)).toBe(true);
  });
});

// The host CPU's XSAVEC after an XRSTOR of the same image, in 32-bit mode and (XRSTOR64,
// XSAVEC64) in 64-bit mode, compared byte for byte with ours. MXCSR_MASK (bytes 31:28) is left
// out: AMD sets bit 17 (misaligned-exception mask, MM), Intel and this CPU report 0000FFFFH
// (SDM Vol. 1 11.6.6). FIP, FDP and FOP are 0 in the images: AMD saves them only while an x87
// exception is pending.
const hostHasXsavec = ((): boolean => {
  try {
    return /\bxsavec\b/.test(readFileSync('/proc/cpuinfo', 'utf8')) && existsSync('/usr/bin/gcc');
  } catch {
    return false;
  }
})();

const HOST_PROGRAM = String.raw`
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#ifdef __x86_64__
#define XRSTOR "xrstor64"
#define XSAVEC "xsavec64"
#else
#define XRSTOR "xrstor"
#define XSAVEC "xsavec"
#endif
static uint8_t image[576] __attribute__((aligned(64)));
static uint8_t out[576] __attribute__((aligned(64)));
int main(void) {
    uint32_t rfbm;
    if (fread(image, 1, 576, stdin) != 576 || fread(&rfbm, 1, 4, stdin) != 4) return 2;
    memset(out, 0xaa, sizeof out);
    __asm__ volatile(XRSTOR " %0\n\tmov %2, %%eax\n\t" XSAVEC " %1"
                     : : "m"(image), "m"(out), "r"(rfbm), "a"(3), "d"(0) : "memory");
    fwrite(out, 1, 576, stdout);
    return 0;
}`;

/** A standard-format image: x87 with ST0 = 1.0 (FCW 027FH), MXCSR, XMM0, XMM7 and XMM15, and XSTATE_BV. */
function hostImage(xstateBv: number, mxcsr: number): Uint8Array {
  const img = new Uint8Array(XSAVE_SIZE);
  const v = new DataView(img.buffer);
  v.setUint16(0, 0x027f, true);
  v.setUint8(4, 0x80); // abridged tag: physical register 7 (ST0 with TOP = 7) valid
  v.setUint16(2, 7 << 11, true); // FSW.TOP = 7
  v.setUint32(24, mxcsr, true);
  v.setBigUint64(32, 1n << 63n, true);
  v.setUint16(40, 0x3fff, true);
  v.setBigUint64(160, 0x1122334455667788n, true);
  v.setBigUint64(160 + 7 * 16 + 8, 0x99aabbccddeeff00n, true);
  v.setBigUint64(160 + 15 * 16, 0x0123456789abcdefn, true);
  v.setBigUint64(512, BigInt(xstateBv), true);
  return img;
}

/** Our XSAVEC (XSAVEC64 in 64-bit mode) after XRSTOR (XRSTOR64) of `img`. */
function ourXsavec(long: boolean, img: Uint8Array, rfbm: number): Uint8Array {
  let vm: TestVm;
  if (long) {
    vm = longModeVm(0x10000);
    // xrstor64 [0x5000]; mov eax, rfbm; xsavec64 [0x4000]; hlt
    const code = [0x48, 0x0f, 0xae, 0x2c, 0x25, 0x00, 0x50, 0x00, 0x00, ...movEax(rfbm), 0x48, 0x0f, 0xc7, 0x24, 0x25, 0x00, 0x40, 0x00, 0x00, HLT];
    vm.load(0x10000, code);
    vm.load(AREA, new Array<number>(XSAVE_SIZE).fill(FILL));
    const s = vm.vcpu.cpu.state;
    s.setLo('cr4', s.getLo('cr4') | Cr4.OSFXSR | Cr4.OSXSAVE);
    s.set64('xcr0', 3n);
    s.set64('gpr', 3n, Reg.RAX);
    s.set64('gpr', 0n, Reg.RDX);
    vm.vcpu.cpu.refreshMode();
  } else {
    vm = xsaveVm([...XRSTOR_IMAGE, ...movEax(rfbm), ...XSAVEC]);
  }
  vm.load(IMAGE, img);
  vm.runExpect(ExitReason.HLT);
  return vm.ram.slice(AREA, AREA + XSAVE_SIZE);
}

/**
 * A processor may report a component in use while it is in its initial configuration
 * (SDM Vol. 1 13.6, XINUSE), and the host's kernel restores every component when it switches
 * back to the recording process, so the host's XSAVEC may come back with SSE in use although
 * the image it restored left SSE initialized. Then the host's SSE region must hold exactly the
 * initial configuration (the MXCSR that XRSTOR loaded, every XMM register zero), and our image,
 * which left that region alone, is compared as if it had saved it.
 */
function acceptHostInitSse(host: Uint8Array, ours: Uint8Array, long: boolean, mxcsr: number): void {
  const h = new DataView(host.buffer, host.byteOffset);
  const o = new DataView(ours.buffer, ours.byteOffset);
  const SSE = 2n;
  const hostBv = h.getBigUint64(512, true);
  const ourBv = o.getBigUint64(512, true);
  if ((hostBv & SSE) === 0n || (ourBv & SSE) !== 0n) return;
  const xmm = host.subarray(160, 160 + (long ? 16 : 8) * 16);
  expect(h.getUint32(24, true), 'host MXCSR of an initialized SSE component').toBe(mxcsr);
  expect(xmm.every((b) => b === 0), 'host XMM registers of an initialized SSE component').toBe(true);
  ours.set(host.subarray(24, 28), 24);
  ours.set(xmm, 160);
  o.setBigUint64(512, ourBv | SSE, true);
}

describe.skipIf(!hostHasXsavec)('XSAVEC images against the host CPU', () => {
  const cases: [string, number, number, number][] = [
    ['x87 and SSE in use', 3, 0x1f80, 3],
    ['everything initialized, MXCSR 1F80H', 0, 0x1f80, 3],
    ['everything initialized, MXCSR with RC = 11B', 0, 0x7f80, 3],
    ['x87 only in use', 1, 0x1f80, 3],
    ['RFBM = SSE only', 3, 0x1f80, 2],
  ];
  it.each([
    ['32-bit', false],
    ['64-bit', true],
  ])('match byte for byte in %s mode', (_mode, long) => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmkvm-xsavec-'));
    try {
      writeFileSync(join(dir, 'xsavec.c'), HOST_PROGRAM);
      execFileSync('gcc', [long ? '-m64' : '-m32', '-O2', '-o', join(dir, 'xsavec'), join(dir, 'xsavec.c')]);
      for (const [name, bv, mxcsr, rfbm] of cases) {
        const img = hostImage(bv, mxcsr);
        const input = new Uint8Array(XSAVE_SIZE + 4);
        input.set(img);
        new DataView(input.buffer).setUint32(XSAVE_SIZE, rfbm, true);
        const host = new Uint8Array(execFileSync(join(dir, 'xsavec'), { input }));
        const ours = ourXsavec(long, img, rfbm);
        host.fill(0, 28, 32);
        ours.fill(0, 28, 32);
        acceptHostInitSse(host, ours, long, mxcsr);
        expect(Buffer.from(ours).toString('hex'), name).toBe(Buffer.from(host).toString('hex'));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
