// Typed access to one vCPU's state in the shared memory, derived from layout.ts.
//
// Cold-path code (page walks, exception delivery, rare instructions) reads and writes guest
// state through this class. 64-bit fields are read as two 32-bit halves into a JS number
// (exact below 2^53, which covers every linear and physical address we model) or as a
// BigInt where all 64 bits matter (full RAX..R15 values in the register API).
import { VCPU_STATE, vcpuBase, type VcpuFieldName } from './layout.ts';

export class VcpuState {
  readonly base: number;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
  readonly u64: BigUint64Array;
  readonly view: DataView;

  constructor(
    readonly buffer: ArrayBufferLike,
    readonly id: number,
  ) {
    this.base = vcpuBase(id);
    this.u8 = new Uint8Array(buffer);
    this.u16 = new Uint16Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.u64 = new BigUint64Array(buffer);
    this.view = new DataView(buffer);
  }

  addr(name: VcpuFieldName, index = 0): number {
    const f = VCPU_STATE.fields[name];
    return this.base + f.offset + index * f.size;
  }

  getU8(name: VcpuFieldName, index = 0): number {
    return this.u8[this.addr(name, index)];
  }
  setU8(name: VcpuFieldName, value: number, index = 0): void {
    this.u8[this.addr(name, index)] = value;
  }
  getU32(name: VcpuFieldName, index = 0): number {
    return this.u32[this.addr(name, index) >>> 2];
  }
  setU32(name: VcpuFieldName, value: number, index = 0): void {
    this.u32[this.addr(name, index) >>> 2] = value;
  }
  getI32(name: VcpuFieldName, index = 0): number {
    return this.i32[this.addr(name, index) >>> 2];
  }
  setI32(name: VcpuFieldName, value: number, index = 0): void {
    this.i32[this.addr(name, index) >>> 2] = value;
  }
  /** A 64-bit field as a number; exact below 2^53. */
  getNum(name: VcpuFieldName, index = 0): number {
    const a = this.addr(name, index) >>> 2;
    return this.u32[a] + this.u32[a + 1] * 0x1_0000_0000;
  }
  /** Stores a non-negative integer below 2^64 given as a number (exact below 2^53). */
  setNum(name: VcpuFieldName, value: number, index = 0): void {
    const a = this.addr(name, index) >>> 2;
    this.u32[a] = value >>> 0;
    this.u32[a + 1] = Math.floor(value / 0x1_0000_0000) >>> 0;
  }
  /**
   * A 64-bit address field (RIP, a segment or table base) in the signed form of
   * paging/canonical.ts: bits 63:32 as a signed 32-bit value times 2^32 plus bits 31:0. Exact
   * for every canonical address, including the top of the address space where getNum rounds;
   * setNum stores it back exactly.
   */
  getLinear(name: VcpuFieldName, index = 0): number {
    const a = this.addr(name, index) >>> 2;
    return this.i32[a + 1] * 0x1_0000_0000 + this.u32[a];
  }
  /** Stores an address in that signed form (or any integer of magnitude below 2^53) as its 64-bit two's complement. */
  setLinear(name: VcpuFieldName, value: number, index = 0): void {
    const a = this.addr(name, index) >>> 2;
    this.u32[a] = value >>> 0;
    this.u32[a + 1] = Math.floor(value / 0x1_0000_0000) >>> 0;
  }
  get64(name: VcpuFieldName, index = 0): bigint {
    return this.u64[this.addr(name, index) >>> 3];
  }
  set64(name: VcpuFieldName, value: bigint, index = 0): void {
    this.u64[this.addr(name, index) >>> 3] = BigInt.asUintN(64, value);
  }
  /** Low 32 bits of a 64-bit field. */
  getLo(name: VcpuFieldName, index = 0): number {
    return this.u32[this.addr(name, index) >>> 2];
  }
  /** High 32 bits of a 64-bit field. */
  getHi(name: VcpuFieldName, index = 0): number {
    return this.u32[(this.addr(name, index) >>> 2) + 1];
  }
  /** Sets a 64-bit field from its two 32-bit halves. */
  setHalves(name: VcpuFieldName, lo: number, hi: number, index = 0): void {
    const a = this.addr(name, index) >>> 2;
    this.u32[a] = lo >>> 0;
    this.u32[a + 1] = hi >>> 0;
  }
  /** Sets a 64-bit field to a zero-extended 32-bit value. */
  setLo(name: VcpuFieldName, value: number, index = 0): void {
    const a = this.addr(name, index) >>> 2;
    this.u32[a] = value >>> 0;
    this.u32[a + 1] = 0;
  }
}
