/* float.c: the benchmark's floating-point workloads, a dense matrix multiply
 * and a radix-2 complex FFT, both on IEEE double.
 *
 * Compiled twice by guests/bench/float-objects.sh, once per FPU path, and
 * linked both into the multiboot guest and into the native driver, so the
 * host CPU and the emulators run the same object code:
 *
 *   -DFPMATH=sse2  -msse2 -mfpmath=sse       bench_matmul_sse2, bench_fft_sse2
 *   -DFPMATH=x87   -mno-sse -mfpmath=387     bench_matmul_x87,  bench_fft_x87
 *
 * Freestanding: no libc, no libm (the twiddle factors come from square roots
 * of half angles), no calls at all, so nothing but the code here runs.
 *
 * Every workload is `uint32_t fn(uint32_t reps)` (cdecl, like workloads.asm),
 * initialises all memory it reads, and returns an FNV-1a hash of the bits of
 * its results. The hash is exact, so every engine must compute every double
 * exactly as the host CPU does.
 *
 * The x87 variant runs with the precision-control field set to double (53-bit
 * significands, SDM Vol. 1 8.1.5.2), as on Windows and FreeBSD: every x87
 * result is then rounded as the SSE2 instruction would round it, so both
 * variants return the same checksum. At the Linux default (64-bit
 * significands) intermediate results kept in ST(i) round differently, and an
 * emulator that computes the x87 in f64 (v86) cannot reproduce the host. */
#include <stdint.h>

#define PASTE(a, b) a##_##b
#define EXPAND(a, b) PASTE(a, b)
#define VARIANT(name) EXPAND(name, FPMATH)

#define MAT_N 64   /* 64 x 64 doubles: 32 KiB per matrix */
#define FFT_LOG 10 /* 1024 complex points */
#define FFT_N (1u << FFT_LOG)

#define XORSHIFT_SEED 0x2545f491u
#define FNV_OFFSET 0x811c9dc5u
#define FNV_PRIME 0x01000193u

static double mat_a[MAT_N * MAT_N] __attribute__((aligned(16)));
static double mat_b[MAT_N * MAT_N] __attribute__((aligned(16)));
static double mat_c[MAT_N * MAT_N] __attribute__((aligned(16)));
static double fft_re[FFT_N] __attribute__((aligned(16)));
static double fft_im[FFT_N] __attribute__((aligned(16)));
static double tw_re[FFT_N / 2] __attribute__((aligned(16)));
static double tw_im[FFT_N / 2] __attribute__((aligned(16)));

#ifdef __SSE2__
#define FPU_ENTER() ((void)0)
#define FPU_LEAVE() ((void)0)
#else
/* x87 control word: all exceptions masked, round to nearest, precision
 * control 10B = double (SDM Vol. 1 Figure 8-6, Table 8-2). */
#define FCW_DOUBLE 0x027f
#define FPU_ENTER()                                           \
    uint16_t saved_fcw, fcw = FCW_DOUBLE;                     \
    __asm__ volatile("fnstcw %0" : "=m"(saved_fcw));          \
    __asm__ volatile("fldcw %0" : : "m"(fcw))
#define FPU_LEAVE() __asm__ volatile("fldcw %0" : : "m"(saved_fcw))
#endif

/* Correctly rounded square root: SQRTSD, or FSQRT rounding to the double
 * precision FPU_ENTER set (GCC calls libm's sqrt for the x87 instead). */
static double square_root(double x)
{
#ifdef __SSE2__
    return __builtin_sqrt(x);
#else
    __asm__("fsqrt" : "+t"(x));
    return x;
#endif
}

/* Marsaglia's xorshift32 (13, 17, 5), as in workloads.asm. */
static uint32_t xorshift32(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* A value in [-0.5, 0.5) with 16 significant bits: exact in any format. */
static double sample(uint32_t *s)
{
    return (double)((int32_t)(xorshift32(s) >> 16) - 32768) / 65536.0;
}

/* FNV-1a over the two 32-bit halves of a double's bits. */
static uint32_t mix(uint32_t h, double d)
{
    union {
        double d;
        uint64_t u;
    } v = { d };
    h = (h ^ (uint32_t)v.u) * FNV_PRIME;
    return (h ^ (uint32_t)(v.u >> 32)) * FNV_PRIME;
}

/* matmul(reps): C = A * B, `reps` times; after each pass one row of A becomes
 * that row of C scaled by 1/8, so no two passes compute the same product. */
uint32_t VARIANT(bench_matmul)(uint32_t reps)
{
    FPU_ENTER();
    uint32_t s = XORSHIFT_SEED;
    for (unsigned i = 0; i < MAT_N * MAT_N; i++) {
        mat_a[i] = sample(&s);
        mat_b[i] = sample(&s);
    }
    uint32_t h = FNV_OFFSET;
    for (uint32_t r = 0; r < reps; r++) {
        for (unsigned i = 0; i < MAT_N; i++) {
            double *c = &mat_c[i * MAT_N];
            for (unsigned j = 0; j < MAT_N; j++)
                c[j] = 0.0;
            for (unsigned k = 0; k < MAT_N; k++) {
                double a = mat_a[i * MAT_N + k];
                const double *b = &mat_b[k * MAT_N];
                for (unsigned j = 0; j < MAT_N; j++)
                    c[j] += a * b[j];
            }
        }
        unsigned row = r % MAT_N;
        for (unsigned j = 0; j < MAT_N; j++)
            mat_a[row * MAT_N + j] = mat_c[row * MAT_N + j] * 0.125;
        h = mix(h, mat_c[(r * 67u) % (MAT_N * MAT_N)]);
    }
    for (unsigned i = 0; i < MAT_N * MAT_N; i++)
        h = mix(h, mat_c[i]);
    FPU_LEAVE();
    return h;
}

/* tw[k] = exp(-2 pi i k / N) for k < N/2. The angle 2 pi / N = pi / 2^(LOG-1)
 * comes from pi by halving: cos(t/2) = sqrt((1 + cos t) / 2) and
 * sin(t/2) = sqrt((1 - cos t) / 2) for t in [0, pi]; then powers. */
static void twiddles(void)
{
    double c = -1.0, s = 0.0;
    for (unsigned m = 1; m < FFT_LOG; m++) {
        s = square_root((1.0 - c) * 0.5);
        c = square_root((1.0 + c) * 0.5);
    }
    tw_re[0] = 1.0;
    tw_im[0] = 0.0;
    for (unsigned k = 1; k < FFT_N / 2; k++) {
        tw_re[k] = tw_re[k - 1] * c + tw_im[k - 1] * s;
        tw_im[k] = tw_im[k - 1] * c - tw_re[k - 1] * s;
    }
}

/* In-place iterative radix-2 decimation-in-time FFT; sign -1.0 for the
 * inverse (conjugate twiddles, no scaling). */
static void fft(double sign)
{
    for (unsigned i = 1, j = 0; i < FFT_N; i++) {
        unsigned bit = FFT_N >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j |= bit;
        if (i < j) {
            double t = fft_re[i];
            fft_re[i] = fft_re[j];
            fft_re[j] = t;
            t = fft_im[i];
            fft_im[i] = fft_im[j];
            fft_im[j] = t;
        }
    }
    for (unsigned len = 2; len <= FFT_N; len <<= 1) {
        unsigned half = len >> 1, step = FFT_N / len;
        for (unsigned i = 0; i < FFT_N; i += len) {
            for (unsigned k = 0; k < half; k++) {
                double wr = tw_re[k * step], wi = sign * tw_im[k * step];
                unsigned a = i + k, b = a + half;
                double tr = fft_re[b] * wr - fft_im[b] * wi;
                double ti = fft_re[b] * wi + fft_im[b] * wr;
                fft_re[b] = fft_re[a] - tr;
                fft_im[b] = fft_im[a] - ti;
                fft_re[a] += tr;
                fft_im[a] += ti;
            }
        }
    }
}

/* fft(reps): a forward and an inverse transform of 1024 points, scaled back
 * by 1/N (a power of two, exact), `reps` times; the rounding errors carry
 * from pass to pass. */
uint32_t VARIANT(bench_fft)(uint32_t reps)
{
    FPU_ENTER();
    uint32_t s = XORSHIFT_SEED;
    for (unsigned i = 0; i < FFT_N; i++) {
        fft_re[i] = sample(&s);
        fft_im[i] = sample(&s);
    }
    twiddles();
    uint32_t h = FNV_OFFSET;
    for (uint32_t r = 0; r < reps; r++) {
        fft(1.0);
        h = mix(h, fft_re[r % FFT_N]);
        fft(-1.0);
        for (unsigned i = 0; i < FFT_N; i++) {
            fft_re[i] *= 1.0 / FFT_N;
            fft_im[i] *= 1.0 / FFT_N;
        }
    }
    for (unsigned i = 0; i < FFT_N; i++) {
        h = mix(h, fft_re[i]);
        h = mix(h, fft_im[i]);
    }
    FPU_LEAVE();
    return h;
}
