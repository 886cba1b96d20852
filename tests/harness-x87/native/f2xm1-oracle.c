/*
 * F2XM1 on the host, for tests/harness-x87/f2xm1-small.ts. Reads lines
 * "cw x-sign-exponent x-significand" (hex) and prints "sign-exponent significand status-word"
 * (hex) of the result for each.
 */
#include <stdint.h>
#include <stdio.h>

struct __attribute__((packed)) f80 {
  uint64_t m;
  uint16_t se;
};

int main(void) {
  unsigned cw, xse;
  unsigned long long xm;
  while (scanf("%x %x %llx", &cw, &xse, &xm) == 3) {
    struct f80 x = {xm, (uint16_t)xse}, r;
    uint16_t c = (uint16_t)cw, sw;
    __asm__ volatile("fninit\n fldcw %3\n fldt %2\n f2xm1\n fnstsw %1\n fstpt %0\n" : "=m"(r), "=m"(sw) : "m"(x), "m"(c) : "st", "memory");
    printf("%04x %016llx %04x\n", r.se, (unsigned long long)r.m, sw);
  }
  return 0;
}
