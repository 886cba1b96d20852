/*
 * Which side of x the host's FPTAN result lies on, for small x (tests/harness-x87/README.md,
 * "FPTAN of small operands"). argv[1]: the unbiased exponent of x. Reads significands (hex,
 * one per line, J bit set) on stdin and prints one character per significand: '+' when
 * tan(x) rounded up (RC = up) moves above x and rounded down (RC = down) stays at x, '-' for
 * the opposite, '0' when both give x (the host's value is x itself), '?' otherwise.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct __attribute__((packed)) f80 {
  uint64_t m;
  uint16_t se;
};

static struct f80 fptan(struct f80 x, uint16_t cw) {
  struct f80 r;
  __asm__ volatile("fninit\n fldcw %2\n fldt %1\n fptan\n fstp %%st(0)\n fstpt %0\n" : "=m"(r) : "m"(x), "m"(cw) : "st", "st(1)", "memory");
  return r;
}

int main(int argc, char **argv) {
  int e = argc > 1 ? atoi(argv[1]) : -60;
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    struct f80 x = {strtoull(line, 0, 16), (uint16_t)(16383 + e)};
    struct f80 up = fptan(x, 0x0b7f), down = fptan(x, 0x077f);
    int moved_up = up.m != x.m || up.se != x.se, moved_down = down.m != x.m || down.se != x.se;
    putchar(moved_up && !moved_down ? '+' : !moved_up && moved_down ? '-' : !moved_up && !moved_down ? '0' : '?');
  }
  putchar('\n');
  return 0;
}
