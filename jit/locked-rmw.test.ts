// LOCK across vCPU workers (SDM Vol. 3A 9.1.2.2): a locked read-modify-write is atomic also
// against another processor's plain store, which takes no lock. kvm-unit-tests' spin_unlock
// is such a store (`movl $0, lock`): a locked acquire that loaded 1 and stored 1 over a
// release that landed in between would lose the release, and the lock would stay held.
import { describe, expect, it } from 'vitest';
import { ExitReason, type Vcpu } from '../core/kvm/index.ts';
import { nodePlatform } from '../workers/node.ts';
import { createTestVm, enterFlat32 } from '../tests/lib/machine.ts';
import { DATA, irqGuest } from '../tests/unit/irqchip-guest.ts';
import { validateWasm } from './binaryen.ts';

const DONE_PORT = 0xf0;
const LOCK = DATA;
const COUNTERS = DATA + 4;
const BARRIER = DATA + 0x10;
const N = 40_000;
/** Failed acquisitions in a row after which the guest reports the lock as lost. */
const SPIN_LIMIT = 100_000_000;

const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const rel8 = (v: number): number => v & 0xff;

/**
 * N times: take the lock with `acquire` (which ends in a short jcc of 7 to "taken"), count
 * in `counter` with a plain INC, release with a plain MOV. A lost lock: OUT 1 to DONE_PORT.
 */
function phase(acquire: number[], counter: number): number[] {
  const attempt = [
    ...acquire,
    0x4a, 0x75, rel8(-(acquire.length + 3)), // dec edx; jnz attempt
    0xb0, 0x01, 0xe6, DONE_PORT, // mov al, 1; out DONE_PORT, al
  ];
  const taken = [
    0xff, 0x05, ...le32(counter), // inc dword [counter]
    0xc7, 0x05, ...le32(LOCK), ...le32(0), // mov dword [LOCK], 0
    0x49, // dec ecx
  ];
  const again = 5 + attempt.length + taken.length + 2;
  return [
    0xb9, ...le32(N), // mov ecx, N
    0xba, ...le32(SPIN_LIMIT), // again: mov edx, SPIN_LIMIT
    ...attempt,
    ...taken,
    0x75, rel8(-again), // jnz again
  ];
}

const GUEST = [
  0xf0, 0xff, 0x05, ...le32(BARRIER), // lock inc dword [BARRIER]
  0x83, 0x3d, ...le32(BARRIER), 2, 0x72, 0xf7, // wait: cmp dword [BARRIER], 2; jb wait
  // xchg: mov eax, 1; xchg [LOCK], eax; test eax, eax; jz taken
  ...phase([0xb8, ...le32(1), 0x87, 0x05, ...le32(LOCK), 0x85, 0xc0, 0x74, 7], COUNTERS),
  // lock bts dword [LOCK], 0; jnc taken
  ...phase([0xf0, 0x0f, 0xba, 0x2d, ...le32(LOCK), 0, 0x73, 7], COUNTERS + 4),
  // xor eax, eax; mov ebx, 1; lock cmpxchg [LOCK], ebx; jz taken
  ...phase([0x31, 0xc0, 0xbb, ...le32(1), 0xf0, 0x0f, 0xb1, 0x1d, ...le32(LOCK), 0x74, 7], COUNTERS + 8),
  0xb0, 0x00, 0xe6, DONE_PORT, // mov al, 0; out DONE_PORT, al
];

describe('locked read-modify-write against plain stores of another vCPU (SDM Vol. 3A 9.1.2.2)', () => {
  it('a spinlock taken with XCHG, LOCK BTS or LOCK CMPXCHG and released with a plain MOV never loses a release; the counts it guards are exact', async () => {
    const g = await irqGuest(0x1000, { platform: nodePlatform, vcpus: 2 });
    g.load(0x1000, GUEST);
    const [bsp, ap] = g.vcpus as [Vcpu, Vcpu];
    await ap.setSregs(await bsp.getSregs());
    await ap.setRegs(await bsp.getRegs());
    ap.setMpState(0); // KVM_MP_STATE_RUNNABLE
    try {
      const exits = await Promise.all([bsp.run(), ap.run()]);
      for (const e of exits) {
        expect(e.reason).toBe(ExitReason.IO);
        if (e.reason === ExitReason.IO) expect([e.io.port, e.io.data[0]]).toEqual([DONE_PORT, 0]);
      }
      expect([g.u32(COUNTERS), g.u32(COUNTERS + 4), g.u32(COUNTERS + 8)]).toEqual([2 * N, 2 * N, 2 * N]);
      expect(g.u32(LOCK)).toBe(0);
    } finally {
      await g.vm.destroy();
    }
  }, 60_000);
});

describe('the atomic store of a locked instruction', () => {
  it('is valid Wasm at every operand size and keeps the SDM results on one vCPU (first touch of the page included)', () => {
    const vm = createTestVm();
    vm.vcpu.cpu.cache.keepWasm = true;
    vm.vcpu.cpu.phys.refresh();
    vm.load(0x3000, [0x7f, 0, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22]);
    vm.load(0x1000, [
      0xf0, 0x80, 0x05, 0x00, 0x30, 0x00, 0x00, 0x01, // lock add byte [0x3000], 1
      0xbf, 0x02, 0x00, 0x00, 0x00, // mov edi, 2
      0x66, 0xf0, 0x0f, 0xc1, 0x3d, 0x02, 0x30, 0x00, 0x00, // lock xadd word [0x3002], di
      0xf0, 0xf7, 0x15, 0x04, 0x30, 0x00, 0x00, // lock not dword [0x3004]
      0xb8, 0x11, 0x11, 0x11, 0x11, 0xba, 0x22, 0x22, 0x22, 0x22, // mov eax, 0x11111111; mov edx, 0x22222222
      0xbb, 0x33, 0x33, 0x33, 0x33, 0xb9, 0x44, 0x44, 0x44, 0x44, // mov ebx, 0x33333333; mov ecx, 0x44444444
      0xf0, 0x0f, 0xc7, 0x0d, 0x08, 0x30, 0x00, 0x00, // lock cmpxchg8b [0x3008]
      0xf4, // hlt
    ]);
    enterFlat32(vm, 0x1000);
    expect(validateWasm(vm.vcpu.cpu.lookup(false).wasm!)).toBe(true);
    vm.runExpect(ExitReason.HLT);
    const dv = new DataView(vm.ram.buffer, vm.ram.byteOffset);
    expect(dv.getUint8(0x3000)).toBe(0x80);
    expect(dv.getUint16(0x3002, true)).toBe(0x1236); // DEST + SRC
    expect(vm.reg(7)).toBe(0x1234); // the old DEST
    expect(dv.getUint32(0x3004, true)).toBe(~0x12345678 >>> 0);
    expect([dv.getUint32(0x3008, true), dv.getUint32(0x300c, true)]).toEqual([0x33333333, 0x44444444]);
    expect(vm.flags() & 0x40).toBe(0x40); // ZF: EDX:EAX matched
  });
});
