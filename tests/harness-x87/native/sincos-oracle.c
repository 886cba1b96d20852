/*
 * FSIN and FCOS on the host (tests/harness-x87/README.md, "FSIN and FCOS"). Reads lines
 * "sin|cos <sign+exponent hex> <significand hex>" on stdin and prints, per line, the host's
 * result under RC nearest, down, up and toward zero (exceptions masked, 64-bit precision):
 * four "<sign+exponent> <significand> <status word>" triples in hex.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct __attribute__((packed)) f80 {
  uint64_t m;
  uint16_t se;
};

int main(void) {
  static const uint16_t cws[4] = {0x037f, 0x077f, 0x0b7f, 0x0f7f};
  char op[8];
  unsigned se;
  unsigned long long m;
  while (scanf("%7s %x %llx", op, &se, &m) == 3) {
    struct f80 x = {m, (uint16_t)se};
    int sine = strcmp(op, "sin") == 0;
    for (int i = 0; i < 4; i++) {
      struct f80 r;
      uint16_t sw, cw = cws[i];
      if (sine)
        __asm__ volatile("fninit\n fldcw %3\n fldt %2\n fsin\n fnstsw %1\n fstpt %0\n" : "=m"(r), "=m"(sw) : "m"(x), "m"(cw) : "st", "memory");
      else
        __asm__ volatile("fninit\n fldcw %3\n fldt %2\n fcos\n fnstsw %1\n fstpt %0\n" : "=m"(r), "=m"(sw) : "m"(x), "m"(cw) : "st", "memory");
      printf("%04x %016llx %04x%c", r.se, (unsigned long long)r.m, sw, i == 3 ? '\n' : ' ');
    }
  }
  return 0;
}
