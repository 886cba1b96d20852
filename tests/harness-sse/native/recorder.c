/*
 * SSE fixture recorder: runs one instruction on the host CPU with given XMM0-XMM7, MXCSR,
 * EFLAGS, EAX, ECX and EDX, and prints the same registers afterwards. Built with gcc -m32
 * (and without it for the 64-bit families, see below);
 * the cases come from tests/harness-sse/record.ts on stdin, one per line:
 *   code mxcsr eflags eax ecx edx xmm0 .. xmm7       (hex; XMM as 16 bytes in memory order)
 * and each output line has the same fields after the instruction ran.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#ifdef __x86_64__
/*
 * 64-bit build: the input XMM registers are loaded into XMM0-XMM7 and again into XMM8-XMM15;
 * templates use XMM8 and up (REX prefixes), and the output lists XMM8-XMM15. EAX ECX EDX
 * are RAX RCX RDX (16 hex digits).
 */
typedef uint64_t greg;
#define GREG_FMT "%016llx"
#define GREG_SCAN "%llx"
#else
typedef uint32_t greg;
#define GREG_FMT "%08x"
#define GREG_SCAN "%x"
#endif

struct state {
  uint8_t xmm[8][16]; /* offset 0 */
  uint32_t mxcsr;     /* 128 */
  uint32_t eflags;    /* 132 */
  greg eax, ecx, edx; /* 136 140 144, or 136 144 152 */
  greg code;          /* 148, or 160: address of the instruction, followed by RET */
};

void run_case(struct state *s);
#ifdef __x86_64__
__asm__(
  ".text\n.globl run_case\nrun_case:\n"
  "  push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
  "  mov %rdi, %rsi\n"
  "  movdqu 0(%rsi), %xmm0\n  movdqu 16(%rsi), %xmm1\n  movdqu 32(%rsi), %xmm2\n  movdqu 48(%rsi), %xmm3\n"
  "  movdqu 64(%rsi), %xmm4\n  movdqu 80(%rsi), %xmm5\n  movdqu 96(%rsi), %xmm6\n  movdqu 112(%rsi), %xmm7\n"
  "  movdqu 0(%rsi), %xmm8\n  movdqu 16(%rsi), %xmm9\n  movdqu 32(%rsi), %xmm10\n  movdqu 48(%rsi), %xmm11\n"
  "  movdqu 64(%rsi), %xmm12\n  movdqu 80(%rsi), %xmm13\n  movdqu 96(%rsi), %xmm14\n  movdqu 112(%rsi), %xmm15\n"
  "  ldmxcsr 128(%rsi)\n"
  "  movl 132(%rsi), %ebx\n  push %rbx\n  popfq\n"
  "  mov 136(%rsi), %rax\n  mov 144(%rsi), %rcx\n  mov 152(%rsi), %rdx\n"
  "  push %rsi\n  push %rsi\n"
  "  call *160(%rsi)\n"
  "  pop %rsi\n  pop %rsi\n"
  "  pushfq\n  popq %rbx\n  movl %ebx, 132(%rsi)\n"
  "  mov %rax, 136(%rsi)\n  mov %rcx, 144(%rsi)\n  mov %rdx, 152(%rsi)\n"
  "  stmxcsr 128(%rsi)\n"
  "  movdqu %xmm8, 0(%rsi)\n  movdqu %xmm9, 16(%rsi)\n  movdqu %xmm10, 32(%rsi)\n  movdqu %xmm11, 48(%rsi)\n"
  "  movdqu %xmm12, 64(%rsi)\n  movdqu %xmm13, 80(%rsi)\n  movdqu %xmm14, 96(%rsi)\n  movdqu %xmm15, 112(%rsi)\n"
  "  ldmxcsr default_mxcsr(%rip)\n"
  "  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n  ret\n"
  ".data\ndefault_mxcsr: .long 0x1f80\n.text\n");
#else
__asm__(
  ".text\n.globl run_case\nrun_case:\n"
  "  push %ebx\n  push %esi\n  push %edi\n  push %ebp\n"
  "  mov 20(%esp), %esi\n"
  "  movdqu 0(%esi), %xmm0\n  movdqu 16(%esi), %xmm1\n  movdqu 32(%esi), %xmm2\n  movdqu 48(%esi), %xmm3\n"
  "  movdqu 64(%esi), %xmm4\n  movdqu 80(%esi), %xmm5\n  movdqu 96(%esi), %xmm6\n  movdqu 112(%esi), %xmm7\n"
  "  ldmxcsr 128(%esi)\n"
  "  push 132(%esi)\n  popf\n"
  "  mov 136(%esi), %eax\n  mov 140(%esi), %ecx\n  mov 144(%esi), %edx\n"
  "  push %esi\n"
  "  call *148(%esi)\n"
  "  pop %esi\n"
  "  pushf\n  pop 132(%esi)\n"
  "  mov %eax, 136(%esi)\n  mov %ecx, 140(%esi)\n  mov %edx, 144(%esi)\n"
  "  stmxcsr 128(%esi)\n"
  "  movdqu %xmm0, 0(%esi)\n  movdqu %xmm1, 16(%esi)\n  movdqu %xmm2, 32(%esi)\n  movdqu %xmm3, 48(%esi)\n"
  "  movdqu %xmm4, 64(%esi)\n  movdqu %xmm5, 80(%esi)\n  movdqu %xmm6, 96(%esi)\n  movdqu %xmm7, 112(%esi)\n"
  "  ldmxcsr default_mxcsr\n"
  "  pop %ebp\n  pop %edi\n  pop %esi\n  pop %ebx\n  ret\n"
  ".data\ndefault_mxcsr: .long 0x1f80\n.text\n");
#endif

static int hexval(int c) { return c <= '9' ? c - '0' : (c | 32) - 'a' + 10; }

static int parse_bytes(const char *h, uint8_t *out, int max) {
  int n = 0;
  while (h[0] && h[1] && n < max) { out[n++] = (uint8_t)(hexval(h[0]) << 4 | hexval(h[1])); h += 2; }
  return n;
}

static void print_bytes(const uint8_t *b, int n) {
  for (int i = 0; i < n; i++) printf("%02x", b[i]);
}

int main(void) {
  uint8_t *page = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  static char line[4096];
  static struct state s;
  static char code[512]; char x[8][64];
  uint32_t mxcsr, eflags;
  greg eax, ecx, edx;
  while (fgets(line, sizeof line, stdin)) {
    if (sscanf(line, "%511s %x %x " GREG_SCAN " " GREG_SCAN " " GREG_SCAN " %63s %63s %63s %63s %63s %63s %63s %63s", code, &mxcsr, &eflags, &eax, &ecx,
               &edx, x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]) != 14)
      return 2;
    int n = parse_bytes(code, page, 256);
    page[n] = 0xc3; /* ret */
    memset(&s, 0, sizeof s);
    for (int i = 0; i < 8; i++) parse_bytes(x[i], s.xmm[i], 16);
    s.mxcsr = mxcsr; s.eflags = eflags; s.eax = eax; s.ecx = ecx; s.edx = edx;
    s.code = (greg)(uintptr_t)page;
    run_case(&s);
    printf("%08x %08x " GREG_FMT " " GREG_FMT " " GREG_FMT, s.mxcsr, s.eflags, s.eax, s.ecx, s.edx);
    for (int i = 0; i < 8; i++) { putchar(' '); print_bytes(s.xmm[i], 16); }
    putchar('\n');
  }
  return 0;
}
