/*
 * x87 recorder (tests/harness-x87/README.md): runs each case natively in a 32-bit process.
 * Input on stdin, one record per case: u8 codeLen, u8 code[15], u8 image[108] (FRSTOR
 * image, 32-bit protected-mode format), u8 mem[32], u32 eax, u32 eflags.
 * Output on stdout per case: u8 image[108] (FNSAVE after the case), u8 mem[32], u32 eax,
 * u32 eflags, u32 trap (0xffffffff if none).
 * The case runs at CODE_BASE as: frstor [IMAGE_IN]; <code>; fnsave [IMAGE_OUT]; ret, with
 * EBX = MEM_BASE and EAX/EFLAGS from the record. A case that ends in #MF (an unmasked
 * exception and then FWAIT) records the FPU state the kernel saved in the signal frame: for
 * a 32-bit process its first 108 bytes are the FNSAVE image (struct _libc_fpstate).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#define CODE_BASE 0x20000u
#define MEM_BASE 0x31000u
#define IMAGE_IN 0x31100u
#define IMAGE_OUT 0x31200u

struct __attribute__((packed)) in_rec {
  uint8_t len, code[15], image[108], mem[32];
  uint32_t eax, eflags;
};
struct __attribute__((packed)) out_rec {
  uint8_t image[108], mem[32];
  uint32_t eax, eflags, trap;
};

/* EFLAGS.RF, which the processor sets in the image it pushes for a fault (SDM Vol. 3A 18.3.1.1). */
#define EFLAGS_RF 0x10000u

static uint32_t r_eax, r_eflags;
static sigjmp_buf jb;
static volatile uint32_t trapno;
static uint8_t trap_image[108];
static volatile int trap_image_valid;

static void on_signal(int sig, siginfo_t *si, void *uc_) {
  ucontext_t *uc = uc_;
  (void)si;
  trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
  /* The registers where the case stopped: the case may have changed them before the fault. */
  r_eax = uc->uc_mcontext.gregs[REG_EAX];
  r_eflags = uc->uc_mcontext.gregs[REG_EFL] & ~EFLAGS_RF;
  if (sig == SIGFPE && uc->uc_mcontext.fpregs) {
    memcpy(trap_image, uc->uc_mcontext.fpregs, sizeof trap_image);
    trap_image_valid = 1;
  }
  siglongjmp(jb, 1);
}

static void run(uint32_t eax, uint32_t eflags) {
  __asm__ volatile(
      "pushl %%ebx\n\t"
      "pushl %%ebp\n\t"
      "pushl %1\n\t"
      "movl %2, %%ebx\n\t"
      "popfl\n\t"
      "movl $0x20000, %%ecx\n\t"
      "call *%%ecx\n\t"
      "pushfl\n\t"
      "popl r_eflags\n\t"
      "movl %%eax, r_eax\n\t"
      "popl %%ebp\n\t"
      "popl %%ebx\n\t"
      : "+a"(eax), "+S"(eflags)
      : "i"(MEM_BASE)
      : "ecx", "edx", "edi", "memory", "cc");
}

int main(void) {
  uint8_t *code = mmap((void *)CODE_BASE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  uint8_t *data = mmap((void *)MEM_BASE, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (code == MAP_FAILED || data == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGFPE, &sa, 0);
  sigaction(SIGSEGV, &sa, 0);
  sigaction(SIGILL, &sa, 0);
  sigaction(SIGBUS, &sa, 0);
  struct in_rec in;
  while (fread(&in, sizeof in, 1, stdin) == 1) {
    struct out_rec out;
    uint8_t *p = code;
    static const uint8_t frstor[] = {0xdd, 0x25, 0x00, 0x11, 0x03, 0x00};
    static const uint8_t fnsave[] = {0xdd, 0x35, 0x00, 0x12, 0x03, 0x00};
    memcpy(p, frstor, sizeof frstor), p += sizeof frstor;
    memcpy(p, in.code, in.len), p += in.len;
    memcpy(p, fnsave, sizeof fnsave), p += sizeof fnsave;
    *p = 0xc3;
    memcpy(data, in.mem, 32);
    memcpy(data + 0x100, in.image, 108);
    memset(data + 0x200, 0xcc, 108);
    trapno = 0xffffffffu;
    trap_image_valid = 0;
    r_eax = in.eax;
    r_eflags = in.eflags;
    if (sigsetjmp(jb, 1) == 0) run(in.eax, in.eflags);
    else __asm__ volatile("fninit");
    memcpy(out.image, trap_image_valid ? trap_image : data + 0x200, 108);
    memcpy(out.mem, data, 32);
    out.eax = r_eax;
    out.eflags = r_eflags;
    out.trap = trapno;
    fwrite(&out, sizeof out, 1, stdout);
  }
  return 0;
}
