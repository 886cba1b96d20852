/*
 * FYL2X and FYL2XP1 on the host, for tests/harness-x87/ylog-host.ts. Reads lines
 * "op cw x-sign-exponent x-significand y-sign-exponent y-significand" (hex; op 0 = FYL2X,
 * 1 = FYL2XP1; x goes to ST(0), y to ST(1)) and prints "sign-exponent significand status-word"
 * (hex) of the result for each.
 */
#include <stdint.h>
#include <stdio.h>

struct __attribute__((packed)) f80 {
  uint64_t m;
  uint16_t se;
};

int main(void) {
  unsigned op, cw, xse, yse;
  unsigned long long xm, ym;
  while (scanf("%x %x %x %llx %x %llx", &op, &cw, &xse, &xm, &yse, &ym) == 6) {
    struct f80 x = {xm, (uint16_t)xse}, y = {ym, (uint16_t)yse}, r;
    uint16_t c = (uint16_t)cw, sw;
    if (op == 0)
      __asm__ volatile("fninit\n fldcw %4\n fldt %3\n fldt %2\n fyl2x\n fnstsw %1\n fstpt %0\n" : "=m"(r), "=m"(sw) : "m"(x), "m"(y), "m"(c) : "st", "st(1)", "memory");
    else
      __asm__ volatile("fninit\n fldcw %4\n fldt %3\n fldt %2\n fyl2xp1\n fnstsw %1\n fstpt %0\n" : "=m"(r), "=m"(sw) : "m"(x), "m"(y), "m"(c) : "st", "st(1)", "memory");
    printf("%04x %016llx %04x\n", r.se, (unsigned long long)r.m, sw);
  }
  return 0;
}
