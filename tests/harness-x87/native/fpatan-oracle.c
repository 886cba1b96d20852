/*
 * FPATAN on the host for tests/harness-x87/fpatan-small.ts. Reads lines "cw yse ym xse xm" (hex:
 * control word, then ST(1) = y and ST(0) = x as sign+exponent and 64-bit significand) and
 * prints "se m sw" of the result and the status word after the instruction.
 */
#include <stdint.h>
#include <stdio.h>

struct __attribute__((packed)) f80 {
  uint64_t m;
  uint16_t se;
};

int main(void) {
  unsigned cw, yse, xse;
  unsigned long long ym, xm;
  while (scanf("%x %x %llx %x %llx", &cw, &yse, &ym, &xse, &xm) == 5) {
    struct f80 y = {ym, (uint16_t)yse}, x = {xm, (uint16_t)xse}, r;
    uint16_t c = (uint16_t)cw, sw;
    __asm__ volatile("fninit\n fldcw %4\n fldt %2\n fldt %3\n fpatan\n fnstsw %1\n fstpt %0\n"
                     : "=m"(r), "=m"(sw)
                     : "m"(y), "m"(x), "m"(c)
                     : "st", "st(1)", "memory");
    printf("%04x %016llx %04x\n", r.se, (unsigned long long)r.m, sw);
  }
  return 0;
}
