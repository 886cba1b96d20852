// The one table of where things live in the shared WebAssembly.Memory.
//
// Everything that a vCPU worker, the VMM and generated Wasm share is described here once:
// the offsets, the typed-array views and the JIT's load/store helpers are all derived from
// these entries (STYLE.md, "Offsets written twice"). A unit test checks that no two fields
// overlap and that every field is naturally aligned.
//
// Memory map of the shared memory:
//   [0, VM_AREA_SIZE)                          VM-wide area (memory slots, counters)
//   [VCPU_AREA_BASE + id * VCPU_AREA_SIZE, ..) one area per vCPU (VCPU_STATE fields)
//   [GUEST_RAM_BASE, ...)                      guest RAM, handed out by Vm.allocateGuestMemory

export type FieldType = 'u8' | 'u16' | 'u32' | 'i32' | 'u64' | 'i64';

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly count?: number;
}

export interface Field {
  readonly name: string;
  readonly type: FieldType;
  readonly count: number;
  readonly offset: number;
  readonly size: number; // of one element
}

export const TYPE_SIZE: Record<FieldType, number> = { u8: 1, u16: 2, u32: 4, i32: 4, u64: 8, i64: 8 };

/** Lays fields out in order, each aligned to its element size. */
export function layOut<const S extends readonly FieldSpec[]>(
  specs: S,
): { fields: { [K in S[number]['name']]: Field }; size: number } {
  let offset = 0;
  const fields: Record<string, Field> = {};
  for (const spec of specs) {
    const size = TYPE_SIZE[spec.type];
    offset = Math.ceil(offset / size) * size;
    const count = spec.count ?? 1;
    fields[spec.name] = { name: spec.name, type: spec.type, count, offset, size };
    offset += size * count;
  }
  return { fields: fields as { [K in S[number]['name']]: Field }, size: offset };
}

/**
 * Entries of the software TLB (direct mapped by linear page number): 128 MiB of 4 KiB pages,
 * more than kvm-unit-tests sieve's 100 MB rounds stride over. 24 bytes each in the state;
 * flushes cost what was filled (core/cpu/mmu.ts), not this.
 */
export const TLB_ENTRIES = 32768;
/** Segment register slots: the six in encoding order (ES CS SS DS FS GS), then LDTR and TR. */
export const SEGMENT_SLOTS = 8;
/** Model-specific registers with storage (indexed through core/cpu/msr.ts). */
export const MSR_SLOTS = 64;
/** Size of kvm_run's data page used for I/O exits (Linux puts it after the struct). */
export const RUN_DATA_SIZE = 4096;
/**
 * Entries of the block lookup hash the Wasm dispatcher reads (jit/dispatcher.ts), direct
 * mapped. A Linux boot runs about 93,000 distinct blocks: with 4,096 entries 3.5 M dispatcher
 * returns to JS found the block compiled, with 65,536 0.69 M, and the boot took 5.6 % less
 * CPU (bench/README.md, session 5). 1 MiB of vCPU state each.
 */
export const JIT_HASH_ENTRIES = 65536;

// Per-vCPU architectural state. Segment fields follow the VMX guest-state layout: selector,
// base, limit and access rights in the VMCS "access rights" format (SDM Vol. 3C 25.4.1),
// plus two derived bounds the JIT uses for limit checks: an offset is valid when
// lo <= offset and offset + size - 1 <= hi (expand-down segments set lo = limit + 1).
export const VCPU_STATE = layOut([
  { name: 'gpr', type: 'i64', count: 16 },
  { name: 'rip', type: 'i64' },
  { name: 'rflags', type: 'i64' },
  { name: 'segBase', type: 'i64', count: SEGMENT_SLOTS },
  { name: 'segHi', type: 'i64', count: SEGMENT_SLOTS },
  { name: 'segLo', type: 'i64', count: SEGMENT_SLOTS },
  // The same bounds for writes: empty (lo 1, hi 0) for read-only data and code segments.
  { name: 'segWriteHi', type: 'i64', count: SEGMENT_SLOTS },
  { name: 'segWriteLo', type: 'i64', count: SEGMENT_SLOTS },
  { name: 'segLimit', type: 'u32', count: SEGMENT_SLOTS },
  { name: 'segAttr', type: 'u32', count: SEGMENT_SLOTS },
  { name: 'segSel', type: 'u32', count: SEGMENT_SLOTS },
  { name: 'gdtrBase', type: 'i64' },
  { name: 'idtrBase', type: 'i64' },
  { name: 'gdtrLimit', type: 'u32' },
  { name: 'idtrLimit', type: 'u32' },
  { name: 'cr0', type: 'i64' },
  { name: 'cr2', type: 'i64' },
  { name: 'cr3', type: 'i64' },
  { name: 'cr4', type: 'i64' },
  { name: 'cr8', type: 'i64' },
  { name: 'efer', type: 'i64' },
  { name: 'dr', type: 'i64', count: 8 },
  // PKRU, the user-mode protection-key rights RDPKRU/WRPKRU access (SDM Vol. 3A 4.6.2).
  { name: 'pkru', type: 'u32' },
  { name: 'msr', type: 'i64', count: MSR_SLOTS },
  { name: 'tscOffset', type: 'i64' },
  { name: 'cpl', type: 'u32' },
  // Derived translation mode (core/cpu/mode.ts); recomputed whenever CS, SS, CR0 or EFLAGS.VM change.
  { name: 'mode', type: 'u32' },
  // Interrupt shadow after STI / MOV SS / POP SS (SDM Vol. 3A 6.8.3): 1 = blocks the next instruction.
  { name: 'interruptShadow', type: 'u32' },
  { name: 'a20Mask', type: 'u32' },
  // Lazy status flags across blocks (jit/lazy-flags.ts): the last producer of all six status
  // flags, kept instead of computing them at block end. lazyKind 0 = RFLAGS is current.
  { name: 'lazyA', type: 'i64' },
  { name: 'lazyB', type: 'i64' },
  { name: 'lazyRes', type: 'i64' },
  { name: 'lazyKind', type: 'u32' },
  // Slow-path memory reads return their value here (no BigInt crosses the Wasm/JS boundary).
  { name: 'scratch', type: 'i64' },
  // Set by the cold write path when a store invalidated translated code (self-modifying
  // code): the running block ends after the storing instruction (jit/translate.ts).
  { name: 'smcHit', type: 'u32' },
  // x87 FPU (SDM Vol. 1 8.1): the physical registers R0..R7, each a 64-bit significand and
  // a 16-bit sign+exponent; MMX registers alias the significands (Vol. 1 9.5). fpuTw is the
  // full two-bit tag word FSTENV stores; TOP lives in fpuSw bits 13:11. fpuIp/fpuDp and
  // their selectors are the last instruction and data pointers (Vol. 1 8.1.8).
  { name: 'fpuMant', type: 'u64', count: 8 },
  { name: 'fpuSignExp', type: 'u16', count: 8 },
  { name: 'fpuCw', type: 'u16' },
  { name: 'fpuSw', type: 'u16' },
  { name: 'fpuTw', type: 'u16' },
  { name: 'fpuFop', type: 'u16' },
  { name: 'fpuCs', type: 'u16' },
  { name: 'fpuDs', type: 'u16' },
  { name: 'fpuIp', type: 'u64' },
  { name: 'fpuDp', type: 'u64' },
  // SSE state: XMM0-XMM15 as (low, high) quadword pairs, MXCSR (Vol. 1 10.2.3) and XCR0
  // (Vol. 1 13.3), the XSAVE feature mask XSETBV writes.
  { name: 'xmm', type: 'u64', count: 32 },
  { name: 'mxcsr', type: 'u32' },
  { name: 'xcr0', type: 'u64' },
  // The source operand of an SSE floating-point instruction, staged by generated code for
  // the helper that computes it with MXCSR semantics (core/simd/).
  { name: 'simdTmp', type: 'u64', count: 2 },
  // Statistics (core/kvm/stats.ts reads them).
  { name: 'statInstructions', type: 'i64' },
  { name: 'statBlocksCompiled', type: 'i64' },
  { name: 'statBlocksInvalidated', type: 'i64' },
  { name: 'statTlbMisses', type: 'i64' },
  { name: 'statExits', type: 'u32', count: 32 },
  // Software TLB: tags are (linear page | TLB_VALID | TLB_USER when filled for CPL 3). The
  // read and write entries of one index may map different pages (a copy whose source and
  // destination are a multiple of TLB_ENTRIES pages apart), so each has its host address.
  // What only maintenance needs (physical pages, global bits, large pages) the Mmu keeps.
  { name: 'tlbRead', type: 'i64', count: TLB_ENTRIES },
  { name: 'tlbWrite', type: 'i64', count: TLB_ENTRIES },
  { name: 'tlbHost', type: 'u32', count: TLB_ENTRIES },
  { name: 'tlbWriteHost', type: 'u32', count: TLB_ENTRIES },
  // Block lookup for the Wasm dispatcher: (linear RIP, mode) -> function table index.
  { name: 'jitKeyLin', type: 'i64', count: JIT_HASH_ENTRIES },
  { name: 'jitKeyMode', type: 'u32', count: JIT_HASH_ENTRIES },
  { name: 'jitIndex', type: 'u32', count: JIT_HASH_ENTRIES },
  // struct kvm_run (Linux include/uapi/linux/kvm.h), the fields the VMM reads and writes.
  { name: 'runRequestInterruptWindow', type: 'u8' },
  { name: 'runImmediateExit', type: 'u8' },
  { name: 'runReadyForInterruptInjection', type: 'u8' },
  { name: 'runIfFlag', type: 'u8' },
  { name: 'runExitReason', type: 'u32' },
  { name: 'runFlags', type: 'u32' },
  { name: 'runIoDirection', type: 'u32' },
  { name: 'runIoSize', type: 'u32' },
  { name: 'runIoPort', type: 'u32' },
  { name: 'runIoCount', type: 'u32' },
  { name: 'runMmioPhysAddr', type: 'u64' },
  { name: 'runMmioData', type: 'u8', count: 8 },
  { name: 'runMmioLen', type: 'u32' },
  { name: 'runMmioIsWrite', type: 'u32' },
  { name: 'runInternalSuberror', type: 'u32' },
  { name: 'runInternalNdata', type: 'u32' },
  { name: 'runInternalData', type: 'u64', count: 16 },
  { name: 'runSystemEventType', type: 'u32' },
  { name: 'runFailEntryReason', type: 'u64' },
  { name: 'runMsrIndex', type: 'u32' },
  { name: 'runMsrError', type: 'u8' },
  { name: 'runMsrData', type: 'u64' },
  // kvm_run.msr.reason (KVM_MSR_EXIT_REASON_*), and the reasons the VM enabled with
  // KVM_CAP_X86_USER_SPACE_MSR (core/cpu/msr-exit.ts), copied into every vCPU.
  { name: 'runMsrReason', type: 'u32' },
  { name: 'msrExitReasons', type: 'u32' },
  // Pending KVM_INTERRUPT vector, or -1.
  { name: 'pendingIrq', type: 'i32' },
  { name: 'runData', type: 'u8', count: RUN_DATA_SIZE },
  // In-kernel irqchip (core/kvm/irqchip/shared-apic.ts): the local APIC register page
  // (SDM Vol. 3A Table 11-1) where other threads set IRR/TMR bits with Atomics; the low
  // half of IA32_APIC_BASE (0 until KVM_CREATE_IRQCHIP); event bits other threads raise
  // (the dispatcher returns on any); the NMI count and start-up vector they carry; the
  // 8259A vector the VMM thread acknowledged for this CPU's INTA (-1 none); the word a
  // halted vCPU sleeps on; KVM's mp_state; and the next local-timer deadline (µs since
  // the epoch, 0 none) the VMM thread's timer pump watches.
  { name: 'apicPage', type: 'u32', count: 256 },
  { name: 'apicBaseLo', type: 'u32' },
  { name: 'apicEvents', type: 'u32' },
  { name: 'apicNmiCount', type: 'u32' },
  { name: 'apicSipiVector', type: 'u32' },
  { name: 'extIntVector', type: 'i32' },
  { name: 'wakeSeq', type: 'i32' },
  { name: 'mpState', type: 'u32' },
  { name: 'timerDeadlineUs', type: 'i64' },
  // NMI blocking (SDM Vol. 3A 6.7.1): set when an NMI is delivered, cleared by IRET.
  { name: 'nmiBlocked', type: 'u32' },
] as const);

export const TLB_VALID = 1n;
export const TLB_USER = 2n;

// VM-wide area: memory slot table (KVM_SET_USER_MEMORY_REGION), a generation counter that
// bumps on every slot change so workers drop their TLBs, and the guest RAM bump allocator.
export const MAX_MEMORY_SLOTS = 32;
export const VM_STATE = layOut([
  { name: 'magic', type: 'u32' },
  { name: 'slotGeneration', type: 'u32' },
  { name: 'ramAllocTop', type: 'u32' },
  { name: 'vcpuCount', type: 'u32' },
  // In-kernel irqchip: vCPUs ring the VMM thread's doorbell (Atomics.notify) after setting a
  // bit in eoiVectors (an EOI of a level-triggered vector, for the IOAPIC's Remote IRR) or
  // publishing a new timerDeadlineUs.
  { name: 'vmmDoorbell', type: 'i32' },
  { name: 'eoiVectors', type: 'u32', count: 8 },
  // Host milliseconds that are guest time 0 for every thread's clock (irqchip/host-clock.ts).
  { name: 'clockEpochMs', type: 'u64' },
  // The bus lock of LOCK-prefixed instructions across vCPU workers (jit/locked-rmw.ts):
  // 0 = free, else the holder's vCPU id + 1.
  { name: 'busLock', type: 'u32' },
  // What a vCPU needs to answer port 0x61 and PM timer reads itself, published by the VMM
  // thread under a sequence count (core/kvm/irqchip/local-timers.ts).
  { name: 'timerMirror', type: 'u32', count: 12 },
  { name: 'slotFlags', type: 'u32', count: MAX_MEMORY_SLOTS },
  { name: 'slotGpa', type: 'u64', count: MAX_MEMORY_SLOTS },
  { name: 'slotSize', type: 'u64', count: MAX_MEMORY_SLOTS },
  { name: 'slotHost', type: 'u64', count: MAX_MEMORY_SLOTS },
] as const);

export const PAGE_SIZE = 4096;
export const WASM_PAGE = 65536;
export const VM_AREA_BASE = 0;
export const VM_AREA_SIZE = 64 * 1024;
export const MAX_VCPUS = 64;
export const VCPU_AREA_BASE = VM_AREA_BASE + VM_AREA_SIZE;
export const VCPU_AREA_SIZE = Math.ceil(VCPU_STATE.size / WASM_PAGE) * WASM_PAGE;
/** First byte of guest RAM allocations: 2 MiB aligned so large pages stay aligned in the host. */
export const GUEST_RAM_BASE =
  Math.ceil((VCPU_AREA_BASE + MAX_VCPUS * VCPU_AREA_SIZE) / (2 * 1024 * 1024)) * 2 * 1024 * 1024;

export function vcpuBase(id: number): number {
  return VCPU_AREA_BASE + id * VCPU_AREA_SIZE;
}

export type VcpuFieldName = keyof typeof VCPU_STATE.fields;
export type VmFieldName = keyof typeof VM_STATE.fields;

/** Absolute byte address of element `index` of a vCPU field. */
export function vcpuField(id: number, name: VcpuFieldName, index = 0): number {
  const f = VCPU_STATE.fields[name];
  return vcpuBase(id) + f.offset + index * f.size;
}

export function vmField(name: VmFieldName, index = 0): number {
  const f = VM_STATE.fields[name];
  return VM_AREA_BASE + f.offset + index * f.size;
}
