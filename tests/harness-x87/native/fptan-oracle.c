/*
 * FPTAN on the host for tests/harness-x87/fptan-host.ts. Reads lines "cw se m" (hex: control
 * word, then the operand as sign+exponent and 64-bit significand) and prints "se m sw": the
 * tangent (ST(1) after the instruction; the 1.0 it pushes is dropped) and the status word.
 */
#include <stdint.h>
#include <stdio.h>

struct __attribute__((packed)) f80 {
  uint64_t m;
  uint16_t se;
};

int main(void) {
  unsigned cw, se;
  unsigned long long m;
  while (scanf("%x %x %llx", &cw, &se, &m) == 3) {
    struct f80 x = {m, (uint16_t)se}, r;
    uint16_t c = (uint16_t)cw, sw;
    __asm__ volatile("fninit\n fldcw %3\n fldt %2\n fptan\n fnstsw %1\n fstp %%st(0)\n fstpt %0\n"
                     : "=m"(r), "=m"(sw)
                     : "m"(x), "m"(c)
                     : "st", "st(1)", "memory");
    printf("%04x %016llx %04x\n", r.se, (unsigned long long)r.m, sw);
  }
  return 0;
}
