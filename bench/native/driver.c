/* The native baseline: the guest's workload functions (guests/bench/workloads.asm,
 * assembled for Linux i386, and guests/bench/float.c in the objects that
 * guests/bench/float-objects.sh builds) timed on the host CPU. bench/native.ts builds
 * this with `gcc -m32 -no-pie` into a temporary directory at bench time.
 *
 * Usage: driver [RUNS]   (default 5)
 * Prints one line per workload:
 *   <name> <kind> <checksum, 8 hex digits> <ns of run 1> ... <ns of run RUNS>
 * and exits 2 if a workload returned different checksums across runs. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* workloads.asm: struc bench { name, fn, arg, kind }, all dwords on i386. */
struct bench {
    const char *name;
    uint32_t (*fn)(uint32_t arg); /* cdecl */
    uint32_t arg;
    const char *kind; /* "int" or "float" */
};

extern const struct bench bench_table[];
extern const uint32_t bench_count;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    if (runs < 1 || runs > 1000) {
        fprintf(stderr, "usage: %s [RUNS 1..1000]\n", argv[0]);
        return 1;
    }
    int status = 0;
    for (uint32_t i = 0; i < bench_count; i++) {
        const struct bench *b = &bench_table[i];
        uint32_t first = 0;
        printf("%s %s", b->name, b->kind);
        for (int r = 0; r < runs; r++) {
            uint64_t t0 = now_ns();
            uint32_t sum = b->fn(b->arg);
            uint64_t t1 = now_ns();
            if (r == 0) {
                first = sum;
                printf(" %08" PRIx32, sum);
            } else if (sum != first) {
                fprintf(stderr, "%s: run %d returned %08" PRIx32 ", run 1 %08" PRIx32 "\n", b->name, r + 1, sum, first);
                status = 2;
            }
            printf(" %" PRIu64, t1 - t0);
        }
        printf("\n");
        fflush(stdout);
    }
    return status;
}
