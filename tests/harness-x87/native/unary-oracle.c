/*
 * One x87 instruction of one operand on the host, for tests/harness-x87/f2xm1-host.ts and
 * fptan-host.ts. argv[1] names it: f2xm1 or fptan. Reads lines "cw se m" (hex: control word,
 * then the operand as sign+exponent and 64-bit significand) and prints "se m sw": the result
 * (for FPTAN the tangent, ST(1) after the instruction; the 1.0 it pushes is dropped) and the
 * status word.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct __attribute__((packed)) f80 {
  uint64_t m;
  uint16_t se;
};

int main(int argc, char **argv) {
  int tan = argc > 1 && strcmp(argv[1], "fptan") == 0;
  if (argc < 2 || (!tan && strcmp(argv[1], "f2xm1") != 0)) {
    fprintf(stderr, "usage: %s f2xm1|fptan < lines \"cw se m\"\n", argv[0]);
    return 2;
  }
  unsigned cw, se;
  unsigned long long m;
  while (scanf("%x %x %llx", &cw, &se, &m) == 3) {
    struct f80 x = {m, (uint16_t)se}, r;
    uint16_t c = (uint16_t)cw, sw;
    if (tan)
      __asm__ volatile("fninit\n fldcw %3\n fldt %2\n fptan\n fnstsw %1\n fstp %%st(0)\n fstpt %0\n"
                       : "=m"(r), "=m"(sw)
                       : "m"(x), "m"(c)
                       : "st", "st(1)", "memory");
    else
      __asm__ volatile("fninit\n fldcw %3\n fldt %2\n f2xm1\n fnstsw %1\n fstpt %0\n" : "=m"(r), "=m"(sw) : "m"(x), "m"(c) : "st", "memory");
    printf("%04x %016llx %04x\n", r.se, (unsigned long long)r.m, sw);
  }
  return 0;
}
