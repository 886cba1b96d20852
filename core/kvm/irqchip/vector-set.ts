// The 256-bit IRR, ISR and TMR of a local APIC (SDM Vol. 3A 11.8.4, Figure 11-20), viewed
// in place in the APIC register page: vector v is bit (v % 32) of the 32-bit register at
// base + 0x10 * (v >> 5), so KVM_GET/SET_LAPIC see exactly the guest-visible layout.
// With the in-kernel irqchip the page is in shared memory and other threads set IRR and
// TMR bits (shared-apic.ts): every read-modify-write here is atomic.

const VECTORS_PER_REG = 32;
const REGS = 8;

export class VectorSet {
  /** `regs` is the APIC page as 32-bit words; `base` the byte offset of the first register. */
  constructor(
    private readonly regs: Uint32Array,
    private readonly base: number,
  ) {}

  private word(vector: number): number {
    return (this.base + 0x10 * (vector >>> 5)) >>> 2;
  }

  test(vector: number): boolean {
    return ((this.regs[this.word(vector)]! >>> (vector & 31)) & 1) !== 0;
  }

  set(vector: number): void {
    Atomics.or(this.regs, this.word(vector), 1 << (vector & 31));
  }

  clear(vector: number): void {
    Atomics.and(this.regs, this.word(vector), ~(1 << (vector & 31)));
  }

  /** The highest set vector, or -1: bits 7:4 of a vector are its priority class (11.8.3). */
  highest(): number {
    for (let r = REGS - 1; r >= 0; r--) {
      const v = this.regs[(this.base + 0x10 * r) >>> 2]!;
      if (v !== 0) return r * VECTORS_PER_REG + 31 - Math.clz32(v);
    }
    return -1;
  }

  count(): number {
    let n = 0;
    for (let r = 0; r < REGS; r++) {
      let v = this.regs[(this.base + 0x10 * r) >>> 2]!;
      while (v !== 0) {
        v &= v - 1;
        n++;
      }
    }
    return n;
  }

  clearAll(): void {
    for (let r = 0; r < REGS; r++) this.regs[(this.base + 0x10 * r) >>> 2] = 0;
  }
}
