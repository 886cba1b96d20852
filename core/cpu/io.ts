// Port I/O as KVM does it: IN/OUT/INS/OUTS leave KVM_RUN with KVM_EXIT_IO and the kvm_run
// io fields (direction, size, port, count) plus the data in the run data page
// (Documentation/virt/kvm/api.rst, "KVM_EXIT_IO"; include/uapi/linux/kvm.h struct kvm_run).
//
// - OUT completes before the exit: the data is in the page, RIP is the next instruction.
// - IN exits with RIP still at the instruction; the VMM fills the page and the completion
//   run at the next KVM_RUN (arch/x86/kvm/x86.c complete_fast_pio_in / complete_emulated_pio)
//   moves the data into rAX or memory and advances RIP.
// - String I/O is batched: up to the page end of the memory operand, the data page size and
//   rCX elements go into one exit with io.count > 1, and a REP with count left re-executes.
//   KVM's emulator reads REP INS ahead this way (emulate.c pio_in_emulated, x86.c
//   emulator_pio_in_out); OUTS is batched the same way here (VMMs loop over io.count).
//   OUTS, like OUT, retires its elements before the exit; INS retires them in the completion.
//
// Every access first passes the I/O permission check (SDM Vol. 1 19.5) and, for string
// forms, the memory operand's segment and page checks, so that a faulting instruction never
// reaches the device (Bochs' INS does the same: "trigger any segment or page faults before
// reading from IO port").
import type { InsnSite } from '../../jit/context.ts';
import { ExitReason, KVM_EXIT_IO_IN, KVM_EXIT_IO_OUT } from '../kvm/exit-reason.ts';
import type { Cpu } from './cpu.ts';
import { SystemType } from './descriptor.ts';
import { ExitSignal, GuestFault, InternalError } from './faults.ts';
import { PAGE_SIZE, RUN_DATA_SIZE } from './layout.ts';
import { Access } from './mmu.ts';
import { decodeMode } from './mode.ts';
import { Flag, IOPL_SHIFT, Reg, Seg, SegAttr, Vector } from './registers.ts';
import type { VcpuState } from './state.ts';

export type IoSize = 1 | 2 | 4;
export type AddrSize = 2 | 4 | 8;

/** Offset of the I/O map base address field in a 32-bit (and 64-bit) TSS (SDM Vol. 3A Figure 7-2). */
const TSS_IO_MAP_BASE = 0x66;

// ---- the I/O permission check (SDM Vol. 1 19.5) ------------------------------------------

/**
 * Whether an access of `size` bytes at `port` is allowed. In protected mode with CPL <= IOPL,
 * and in real mode, every port is; at CPL > IOPL and in virtual-8086 mode, every bit of the
 * ports accessed must be clear in the TSS I/O permission bit map (19.5.2). The processor
 * reads two bytes of the map, which must lie within the TSS limit; a 16-bit TSS has no map.
 */
export function ioPermitted(cpu: Cpu, port: number, size: IoSize): boolean {
  const s = cpu.state;
  const mode = decodeMode(s.getU32('mode'));
  if (!mode.protectedMode && !mode.vm86) return true;
  const iopl = (s.getLo('rflags') & Flag.IOPL) >>> IOPL_SHIFT;
  if (mode.protectedMode && mode.cpl <= iopl) return true;
  const attr = s.getU32('segAttr', Seg.TR);
  const type = attr & SegAttr.TYPE_MASK;
  // A 32-bit TSS (in IA-32e mode the same types denote the 64-bit TSS), available or busy.
  const tss32 = type === SystemType.TSS32_AVAILABLE || type === SystemType.TSS32_BUSY;
  if (attr & SegAttr.UNUSABLE || !tss32) return false;
  const limit = s.getU32('segLimit', Seg.TR);
  if (limit < TSS_IO_MAP_BASE + 1) return false;
  const base = s.getNum('segBase', Seg.TR);
  // The TSS is read with supervisor privilege whatever the CPL (SDM Vol. 3A 4.6).
  const mapBase = cpu.readSystem(base + TSS_IO_MAP_BASE, 2);
  const at = mapBase + (port >>> 3);
  if (at + 1 > limit) return false;
  const bits = cpu.readSystem(base + at, 2);
  return ((bits >>> (port & 7)) & ((1 << size) - 1)) === 0;
}

function checkPermission(cpu: Cpu, site: InsnSite, port: number, size: IoSize): void {
  if (!ioPermitted(cpu, port, size)) throw new GuestFault(Vector.GP, 0, site.delta);
  // I/O breakpoints (core/cpu/debug.ts): a #DB trap follows the instruction.
  cpu.mmu.watch?.port(port, size);
}


// ---- kvm_run fields -----------------------------------------------------------------------

function setIoExit(s: VcpuState, direction: number, size: IoSize, port: number, count: number): void {
  s.setU32('runIoDirection', direction);
  s.setU32('runIoSize', size);
  s.setU32('runIoPort', port);
  s.setU32('runIoCount', count);
}

/** Little-endian value of `size` bytes of the run data page at `at`. */
function dataAt(s: VcpuState, at: number, size: IoSize): number {
  const d = s.addr('runData') + at;
  let v = 0;
  for (let i = 0; i < size; i++) v += s.u8[d + i] * 2 ** (8 * i);
  return v;
}

function setRip(s: VcpuState, rip: number): void {
  s.setNum('rip', rip);
}

/** DX: the port of the DX forms. */
export function portFromDx(cpu: Cpu): number {
  return cpu.state.getLo('gpr', Reg.RDX) & 0xffff;
}

/** Writes rAX with IN's data: AL and AX keep the other bits, EAX zero-extends (SDM Vol. 1 3.4.1.1). */
function writeAccumulator(s: VcpuState, size: IoSize, value: number): void {
  if (size === 4) {
    s.setLo('gpr', value, Reg.RAX);
    return;
  }
  const mask = size === 1 ? 0xff : 0xffff;
  s.u32[s.addr('gpr', Reg.RAX) >>> 2] = ((s.getLo('gpr', Reg.RAX) & ~mask) | (value & mask)) >>> 0;
}

// ---- IN / OUT -----------------------------------------------------------------------------

/** OUT port, AL/AX/EAX (SDM Vol. 2B OUT): completes, then exits with the data in the run page. */
export function portOut(cpu: Cpu, site: InsnSite, port: number, size: IoSize): never {
  checkPermission(cpu, site, port, size);
  const s = cpu.state;
  const value = s.getLo('gpr', Reg.RAX);
  const d = s.addr('runData');
  for (let i = 0; i < size; i++) s.u8[d + i] = (value >>> (8 * i)) & 0xff;
  setIoExit(s, KVM_EXIT_IO_OUT, size, port, 1);
  setRip(s, site.next);
  throw new ExitSignal(ExitReason.IO);
}

/**
 * IN AL/AX/EAX, port (SDM Vol. 2A IN): exits at the instruction; the next KVM_RUN completes
 * it. A port the vCPU serves itself (Cpu.localPio: timer reads whose value depends on when
 * the instruction runs) completes here; the block goes on at the next instruction. With a
 * data or I/O watch armed every access takes the exit path, whose #DB handling it has.
 */
export function portIn(cpu: Cpu, site: InsnSite, port: number, size: IoSize): void {
  checkPermission(cpu, site, port, size);
  const s = cpu.state;
  const local = cpu.mmu.watch === undefined ? cpu.localPio?.portIn(port, size) : undefined;
  if (local !== undefined) {
    writeAccumulator(s, size, local);
    return;
  }
  const d = s.addr('runData');
  s.u8.fill(0, d, d + size);
  setIoExit(s, KVM_EXIT_IO_IN, size, port, 1);
  setRip(s, site.rip);
  cpu.env.vcpu.pendingCompletion = () => {
    writeAccumulator(s, size, dataAt(s, 0, size));
    setRip(s, site.next);
  };
  throw new ExitSignal(ExitReason.IO);
}

// ---- INS / OUTS ---------------------------------------------------------------------------

/** A decoded INS or OUTS. */
export interface StringIo {
  readonly size: IoSize;
  readonly addrSize: AddrSize;
  /** OUTS: DS or the override; INS: always ES (SDM Vol. 2A INS: ES cannot be overridden). */
  readonly seg: Seg;
  readonly rep: boolean;
}

const addrMask = (a: AddrSize): bigint => (a === 8 ? (1n << 64n) - 1n : (1n << BigInt(a * 8)) - 1n);

/** rSI, rDI or rCX as the address size sees it (SDM Vol. 1 3.7.5). */
function addrReg(s: VcpuState, reg: Reg, a: AddrSize): bigint {
  return s.get64('gpr', reg) & addrMask(a);
}

/** Writes rSI/rDI/rCX at the address size: SI/DI/CX keep bits 63:16, ESI... zero-extend. */
function setAddrReg(s: VcpuState, reg: Reg, a: AddrSize, v: bigint): void {
  const old = s.get64('gpr', reg);
  s.set64('gpr', a === 2 ? (old & ~0xffffn) | (v & 0xffffn) : v & addrMask(a), reg);
}

/**
 * Linear address of seg:offset for `size` bytes, or undefined when the segment limit check
 * fails (SDM Vol. 3A 5.3), or for a write, when the segment is not writable (5.4.1: INS into
 * a read-only ES). In 64-bit mode only FS and GS add a base and no limit applies.
 */
function segmentLinear(cpu: Cpu, seg: Seg, offset: number, size: number, write: boolean): number | undefined {
  const s = cpu.state;
  if (cpu.codeSize() === 8)
    return seg === Seg.FS || seg === Seg.GS ? offset + s.getLinear('segBase', seg) : offset;
  const lo = s.getNum(write ? 'segWriteLo' : 'segLo', seg);
  const hi = s.getNum(write ? 'segWriteHi' : 'segHi', seg);
  if (offset < lo || offset + size - 1 > hi) return undefined;
  return (s.getNum('segBase', seg) + offset) % 0x1_0000_0000;
}

/** The elements of one exit: their linear addresses (contiguous, one page unless n = 1). */
interface Batch {
  readonly lins: number[];
  /** Lowest linear address of the batch and its byte length. */
  readonly low: number;
  readonly bytes: number;
  readonly step: number;
}

/**
 * Chooses the elements of one exit: element 0 must pass the segment check (else #GP(0), or
 * #SS(0) for SS); later ones join while they pass it, stay contiguous (no address-size wrap)
 * and stay on element 0's page, up to `count` and the data page size.
 */
function planBatch(cpu: Cpu, site: InsnSite, op: StringIo, offsetReg: Reg, count: bigint): Batch {
  const s = cpu.state;
  const down = (s.getLo('rflags') & Flag.DF) !== 0;
  const step = down ? -op.size : op.size;
  const first = addrReg(s, offsetReg, op.addrSize);
  const max = Math.min(
    Number(count < BigInt(RUN_DATA_SIZE) ? count : BigInt(RUN_DATA_SIZE)),
    RUN_DATA_SIZE / op.size,
  );
  const lins: number[] = [];
  for (let i = 0; i < max; i++) {
    // The signed form of paging/canonical.ts: exact for a 64-bit rDI/rSI in the upper half.
    const offset = Number(BigInt.asIntN(64, (first + BigInt(i * step)) & addrMask(op.addrSize)));
    const lin = segmentLinear(cpu, op.seg, offset, op.size, offsetReg === Reg.RDI);
    if (lin === undefined) {
      if (i === 0) throw new GuestFault(op.seg === Seg.SS ? Vector.SS : Vector.GP, 0, site.delta);
      break;
    }
    if (i > 0) {
      const page = Math.floor(lins[0] / PAGE_SIZE);
      const samePage =
        Math.floor(lin / PAGE_SIZE) === page && Math.floor((lin + op.size - 1) / PAGE_SIZE) === page;
      if (lin !== lins[0] + i * step || !samePage) break;
    } else if (Math.floor(lin / PAGE_SIZE) !== Math.floor((lin + op.size - 1) / PAGE_SIZE)) {
      lins.push(lin); // an element that straddles a page goes alone
      break;
    }
    lins.push(lin);
  }
  const low = Math.min(lins[0], lins[lins.length - 1]);
  return { lins, low, bytes: lins.length * op.size, step };
}

/** Where the bytes of a string I/O batch live: host offsets (-1 when not RAM) and physical pages. */
interface HostRange {
  readonly hosts: number[];
  readonly pages: number[];
}

/** Translates `length` bytes at linear `lin` for `access` (a #PF throws). */
function hostBytes(cpu: Cpu, lin: number, length: number, access: Access): HostRange {
  const hosts: number[] = [];
  const pages: number[] = [];
  let pageLin = -1;
  let pagePhys = 0;
  for (let i = 0; i < length; i++) {
    const a = lin + i;
    // `&`, not `%`: a linear address in the signed form of paging/canonical.ts may be negative.
    const p = a - (a & (PAGE_SIZE - 1));
    if (p !== pageLin) {
      pageLin = p;
      const t = cpu.mmu.translate(p, access, cpu.user);
      pagePhys = t.phys - (t.phys % PAGE_SIZE);
      pages.push(pagePhys / PAGE_SIZE);
    }
    hosts.push(cpu.phys.host(pagePhys + (a - p), access === Access.Write));
  }
  return { hosts, pages };
}

/** Number of leading elements whose bytes are all RAM. */
function ramElements(batch: Batch, hosts: readonly number[], size: IoSize): number {
  let n = 0;
  for (const lin of batch.lins) {
    const at = lin - batch.low;
    for (let b = 0; b < size; b++) if (hosts[at + b] < 0) return n;
    n++;
  }
  return n;
}

/** The count register for a REP form (0 means nothing to do), 1 without REP. */
function stringCount(s: VcpuState, op: StringIo): bigint {
  return op.rep ? addrReg(s, Reg.RCX, op.addrSize) : 1n;
}

/** Advances rSI/rDI and rCX past `done` elements; RIP moves on when the instruction is over. */
function retire(cpu: Cpu, site: InsnSite, op: StringIo, offsetReg: Reg, done: number, step: number): void {
  const s = cpu.state;
  setAddrReg(s, offsetReg, op.addrSize, addrReg(s, offsetReg, op.addrSize) + BigInt(done * step));
  let finished = done > 0;
  if (op.rep) {
    const left = addrReg(s, Reg.RCX, op.addrSize) - BigInt(done);
    setAddrReg(s, Reg.RCX, op.addrSize, left);
    finished = left === 0n;
  }
  setRip(s, finished ? site.next : site.rip);
}

/** Port, I/O permission and REP count, shared by INS and OUTS; a zero REP count retires at once. */
function beginStringIo(cpu: Cpu, site: InsnSite, op: StringIo): { port: number; count: bigint } | undefined {
  const port = portFromDx(cpu);
  checkPermission(cpu, site, port, op.size);
  const count = stringCount(cpu.state, op);
  if (count === 0n) {
    setRip(cpu.state, site.next);
    return undefined;
  }
  return { port, count };
}

/**
 * OUTS / REP OUTS (SDM Vol. 2B OUTS): reads the batch from seg:rSI into the data page,
 * retires it and exits. Returns true (block ends, RIP = next) when a REP count is 0.
 */
export function stringOut(cpu: Cpu, site: InsnSite, op: StringIo): boolean {
  const s = cpu.state;
  const start = beginStringIo(cpu, site, op);
  if (start === undefined) return true;
  const { port, count } = start;
  const batch = planBatch(cpu, site, op, Reg.RSI, count);
  const data = s.addr('runData');
  const hosts = batch.lins.length > 1 ? hostBytes(cpu, batch.low, batch.bytes, Access.Read).hosts : [];
  let n = batch.lins.length > 1 ? ramElements(batch, hosts, op.size) : 0;
  if (n === 0) {
    // One element, possibly straddling pages or in MMIO: the generic read path handles both.
    const [lo] = cpu.readLinear(batch.lins[0], op.size);
    for (let b = 0; b < op.size; b++) s.u8[data + b] = (lo >>> (8 * b)) & 0xff;
    n = 1;
  } else {
    for (let i = 0; i < n; i++) {
      const at = batch.lins[i] - batch.low;
      for (let b = 0; b < op.size; b++) s.u8[data + i * op.size + b] = cpu.phys.u8[hosts[at + b]];
    }
  }
  setIoExit(s, KVM_EXIT_IO_OUT, op.size, port, n);
  retire(cpu, site, op, Reg.RSI, n, batch.step);
  throw new ExitSignal(ExitReason.IO);
}

/**
 * INS / REP INS (SDM Vol. 2A INS): checks that ES:rDI of the batch is writable RAM, exits,
 * and at the next KVM_RUN stores the data page into memory and retires the elements stored.
 * Returns true (block ends, RIP = next) when a REP count is 0.
 */
export function stringIn(cpu: Cpu, site: InsnSite, op: StringIo): boolean {
  const s = cpu.state;
  const start = beginStringIo(cpu, site, op);
  if (start === undefined) return true;
  const { port, count } = start;
  const planned = planBatch(cpu, site, op, Reg.RDI, count);
  const n = ramElements(planned, hostBytes(cpu, planned.low, planned.bytes, Access.Write).hosts, op.size);
  if (n === 0) return stringInToMmio(cpu, site, op, port, planned);
  const lins = planned.lins.slice(0, n);
  const batch: Batch = { lins, low: Math.min(lins[0], lins[n - 1]), bytes: n * op.size, step: planned.step };
  const data = s.addr('runData');
  s.u8.fill(0, data, data + batch.bytes);
  setIoExit(s, KVM_EXIT_IO_IN, op.size, port, n);
  setRip(s, site.rip);
  cpu.env.vcpu.pendingCompletion = () =>
    retire(cpu, site, op, Reg.RDI, storeIn(cpu, batch, op.size), batch.step);
  throw new ExitSignal(ExitReason.IO);
}

/**
 * INS whose next element is not RAM (MMIO or ROM): one element per pair of exits, as KVM's
 * emulator does it. KVM_EXIT_IO brings the element; its completion stores it, which exits
 * again (KVM_EXIT_MMIO write); after that the instruction is replayed, finds the element
 * (cpu.insToMmio) and the completed MMIO record, and retires the element without reading the
 * port a second time.
 */
function stringInToMmio(cpu: Cpu, site: InsnSite, op: StringIo, port: number, planned: Batch): boolean {
  const s = cpu.state;
  const lin = planned.lins[0];
  const ready = cpu.insToMmio;
  cpu.insToMmio = undefined;
  if (ready && ready.lin === lin && ready.rip === site.rip && cpu.mmioLog.length > 0) {
    cpu.writeLinear(lin, op.size, ready.value, 0);
    retire(cpu, site, op, Reg.RDI, 1, planned.step);
    return true;
  }
  const data = s.addr('runData');
  s.u8.fill(0, data, data + op.size);
  setIoExit(s, KVM_EXIT_IO_IN, op.size, port, 1);
  setRip(s, site.rip);
  cpu.env.vcpu.pendingCompletion = () => {
    const value = dataAt(s, 0, op.size);
    cpu.insToMmio = { lin, rip: site.rip, value };
    cpu.writeLinear(lin, op.size, value, 0); // exits (MMIO), unless the page became RAM
    cpu.insToMmio = undefined;
    retire(cpu, site, op, Reg.RDI, 1, planned.step);
  };
  throw new ExitSignal(ExitReason.IO);
}

/**
 * Stores INS data from the run page; returns how many elements were stored. The pages were
 * checked before the exit; should the VMM have changed the mappings since, the elements that
 * can no longer be stored are left for the re-executed instruction, whose checks then fault.
 */
function storeIn(cpu: Cpu, batch: Batch, size: IoSize): number {
  const s = cpu.state;
  const data = s.addr('runData');
  let range: HostRange;
  try {
    range = hostBytes(cpu, batch.low, batch.bytes, Access.Write);
  } catch (e) {
    if (e instanceof GuestFault || e instanceof InternalError) return 0;
    throw e;
  }
  const n = ramElements(batch, range.hosts, size);
  for (let i = 0; i < n; i++) {
    const at = batch.lins[i] - batch.low;
    for (let b = 0; b < size; b++) cpu.phys.u8[range.hosts[at + b]] = s.u8[data + i * size + b];
  }
  // Stores into translated code drop its blocks (self-modifying code).
  for (const page of range.pages) if (cpu.cache.hasCode(page)) cpu.cache.invalidatePage(page);
  return n;
}
