// A small SSE loop guest for measuring what XMM registers in Wasm locals buy: guest
// instructions per second and the Wasm size of the loop's block, for a register-only
// arithmetic loop (ADDPD/MULPD/SUBPD/ADDPS over XMM0-XMM7), a packed-integer loop (PADDD,
// PXOR, PSHUFD...) and a copy loop with 16-byte loads and stores (MOVDQU, PXOR, PADDD). Flat
// 32-bit mode, CR4.OSFXSR, default MXCSR. Each loop runs `runs` times; the best run's CPU
// time counts.
//
//   node --import tsx tests/harness-sse/xmm-loop.ts [iterations] [runs]
import { Cr4, Reg } from '../../core/cpu/registers.ts';
import { createTestVm, enterFlat32, ExitReason } from '../lib/machine.ts';

const CODE = 0x10000;
const SRC = 0x20000;
const DST = 0x30000;

/** nasm -f bin of each loop (bits 32), ending in DEC ECX; JNZ back; HLT. */
const LOOPS = {
  // l: addpd xmm0,xmm1; mulpd xmm2,xmm3; addpd xmm4,xmm2; subpd xmm5,xmm1; mulpd xmm6,xmm3; addps xmm7,xmm1; dec ecx; jnz l; hlt
  arith: { hex: '660f58c1660f59d3660f58e2660f5ce9660f59f30f58f94975e6f4', perIteration: 8 },
  // l: paddd xmm0,xmm1; pxor xmm2,xmm0; paddq xmm3,xmm2; pand xmm4,xmm3; psubd xmm5,xmm1; por xmm6,xmm5; pshufd xmm7,xmm6,0x1b; paddw xmm0,xmm7; dec ecx; jnz l; hlt
  int: { hex: '660ffec1660fefd0660fd4da660fdbe3660ffae9660febf5660f70fe1b660ffdc74975dcf4', perIteration: 10 },
  // l: movdqu xmm0,[esi]; movdqu xmm1,[esi+16]; pxor xmm2,xmm0; paddd xmm3,xmm1; movdqu [edi],xmm0; movdqu [edi+16],xmm1; dec ecx; jnz l; hlt
  copy: { hex: 'f30f6f06f30f6f4e10660fefd0660ffed9f30f7f07f30f7f4f104975e3f4', perIteration: 8 },
} as const;

function measure(name: keyof typeof LOOPS, iterations: number, runs: number): void {
  const { hex, perIteration } = LOOPS[name];
  const vm = createTestVm(1024 * 1024);
  const cpu = vm.vcpu.cpu;
  const s = cpu.state;
  cpu.cache.keepWasm = true;
  vm.load(CODE, Buffer.from(hex, 'hex'));
  enterFlat32(vm, CODE);
  s.setLo('cr4', Cr4.OSFXSR | Cr4.OSXMMEXCPT);
  cpu.refreshMode();
  cpu.phys.refresh();
  // 1.0 in every double lane of XMM1 and XMM3, 1.5 elsewhere: sums stay normal, products exact.
  const one = 0x3ff0000000000000n;
  const oneAndHalf = 0x3ff8000000000000n;
  for (let r = 0; r < 8; r++) for (const q of [0, 1]) s.set64('xmm', r === 1 || r === 3 ? one : oneAndHalf, 2 * r + q);
  vm.setReg(Reg.RSI, SRC);
  vm.setReg(Reg.RDI, DST);
  const size = cpu.lookup(false).wasm?.length ?? 0;
  // CPU time of this thread (the machine may be shared: wall time counts other processes' turns).
  let ms = Infinity;
  for (let run = 0; run < runs; run++) {
    s.setLo('rip', CODE);
    vm.setReg(Reg.RCX, iterations);
    const t0 = process.cpuUsage();
    vm.runExpect(ExitReason.HLT);
    const t = process.cpuUsage(t0);
    ms = Math.min(ms, (t.user + t.system) / 1000);
  }
  const instructions = iterations * perIteration;
  console.log(`${name}: ${iterations} iterations, ${(instructions / ms / 1000).toFixed(1)} M guest instr/s (${ms.toFixed(0)} ms CPU), loop block ${size} bytes of Wasm`);
}

const iterations = Number(process.argv[2] ?? 5_000_000);
const runs = Number(process.argv[3] ?? 5);
for (const name of Object.keys(LOOPS) as (keyof typeof LOOPS)[]) measure(name, iterations, runs);
