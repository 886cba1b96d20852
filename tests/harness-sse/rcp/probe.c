/*
 * Host probe for RCPPS/RCPSS and RSQRTPS/RSQRTSS (SDM Vol. 2B: implementation-specific
 * approximations). Usage:
 *   probe <rcp|rsqrt> <first> <count> [mxcsr]        (first, mxcsr in hex; count in decimal)
 * runs the packed form on the single-precision inputs first, first+1, ... (count of them,
 * a multiple of 4, wrapping at 2^32) under the given MXCSR (default 0x1f80) and writes the
 * results to stdout as little-endian 32-bit words. Every input also runs through the scalar
 * form, register and memory source, into a destination whose upper lanes hold a marker; the
 * probe stops with status 2 if a scalar result differs from its packed lane, if an upper
 * lane changed, or if MXCSR changed (no exception flags, SDM Vol. 2B RCPPS).
 * Built and run by gen-table.ts and check.ts in this directory (x86-64 host, gcc).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 65536

typedef struct { uint32_t w[4]; } __attribute__((aligned(16))) xmm;

static const xmm MARKER = {{0x11111111, 0x22222222, 0x33333333, 0x44444444}};

static void packed(int sqrt, const xmm *in, xmm *out, uint32_t *mxcsr) {
  if (sqrt)
    __asm__ volatile("ldmxcsr %2\n\tmovaps %1, %%xmm2\n\trsqrtps %%xmm2, %%xmm1\n\tmovaps %%xmm1, %0\n\tstmxcsr %2"
                     : "=m"(*out) : "m"(*in), "m"(*mxcsr) : "xmm1", "xmm2");
  else
    __asm__ volatile("ldmxcsr %2\n\tmovaps %1, %%xmm2\n\trcpps %%xmm2, %%xmm1\n\tmovaps %%xmm1, %0\n\tstmxcsr %2"
                     : "=m"(*out) : "m"(*in), "m"(*mxcsr) : "xmm1", "xmm2");
}

/* The scalar form with a register source (out[0]) and a 32-bit memory source (out[1]). */
static void scalar(int sqrt, uint32_t x, xmm out[2], uint32_t *mxcsr) {
  xmm src = {{x, 0, 0, 0}};
  out[0] = MARKER;
  out[1] = MARKER;
  if (sqrt)
    __asm__ volatile("ldmxcsr %3\n\tmovaps %2, %%xmm2\n\tmovaps %0, %%xmm1\n\trsqrtss %%xmm2, %%xmm1\n\tmovaps %%xmm1, %0\n\t"
                     "movaps %1, %%xmm1\n\trsqrtss %4, %%xmm1\n\tmovaps %%xmm1, %1\n\tstmxcsr %3"
                     : "+m"(out[0]), "+m"(out[1]) : "m"(src), "m"(*mxcsr), "m"(x) : "xmm1", "xmm2");
  else
    __asm__ volatile("ldmxcsr %3\n\tmovaps %2, %%xmm2\n\tmovaps %0, %%xmm1\n\trcpss %%xmm2, %%xmm1\n\tmovaps %%xmm1, %0\n\t"
                     "movaps %1, %%xmm1\n\trcpss %4, %%xmm1\n\tmovaps %%xmm1, %1\n\tstmxcsr %3"
                     : "+m"(out[0]), "+m"(out[1]) : "m"(src), "m"(*mxcsr), "m"(x) : "xmm1", "xmm2");
}

int main(int argc, char **argv) {
  if (argc < 4 || (strcmp(argv[1], "rcp") && strcmp(argv[1], "rsqrt"))) {
    fprintf(stderr, "usage: probe <rcp|rsqrt> <first-hex> <count> [mxcsr-hex]\n");
    return 1;
  }
  int sqrt = !strcmp(argv[1], "rsqrt");
  uint32_t x = (uint32_t)strtoul(argv[2], 0, 16);
  unsigned long long count = strtoull(argv[3], 0, 10);
  uint32_t mx0 = argc > 4 ? (uint32_t)strtoul(argv[4], 0, 16) : 0x1f80;
  static uint32_t buf[CHUNK];
  unsigned n = 0;
  for (unsigned long long i = 0; i < count; i += 4) {
    xmm in = {{x, x + 1, x + 2, x + 3}}, out;
    uint32_t mx = mx0;
    packed(sqrt, &in, &out, &mx);
    if (mx != mx0) {
      fprintf(stderr, "%08x: MXCSR %08x -> %08x\n", x, mx0, mx);
      return 2;
    }
    for (int l = 0; l < 4; l++) {
      xmm s[2];
      scalar(sqrt, in.w[l], s, &mx);
      for (int f = 0; f < 2; f++)
        if (s[f].w[0] != out.w[l] || memcmp(&s[f].w[1], &MARKER.w[1], 12) || mx != mx0) {
          fprintf(stderr, "%08x: packed %08x, scalar (%s source) %08x %08x %08x %08x, MXCSR %08x\n", in.w[l], out.w[l],
                  f ? "memory" : "register", s[f].w[0], s[f].w[1], s[f].w[2], s[f].w[3], mx);
          return 2;
        }
      buf[n++] = out.w[l];
    }
    if (n == CHUNK) {
      fwrite(buf, 4, n, stdout);
      n = 0;
    }
    x += 4;
  }
  fwrite(buf, 4, n, stdout);
  return 0;
}
