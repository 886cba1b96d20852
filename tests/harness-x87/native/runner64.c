/*
 * x87 recorder, 64-bit mode (tests/harness-x87/README.md): runs each case natively in a
 * 64-bit process. Input on stdin, one record per case: u8 codeLen, u8 code[15], u8
 * image[108] (FRSTOR image, 32-bit protected-mode format), u8 mem[32], u64 rax, u64 rflags.
 * Output on stdout per case: u8 image[108] (FNSAVE after the case), u8 fx[32] (the first 32
 * bytes of FXSAVE64: FOP, 64-bit FIP and FDP), u8 mem[32], u64 rax, u64 rflags, u32 trap
 * (0xffffffff if none).
 * The case runs at CODE_BASE as: frstor [IMAGE_IN]; <code>; fxsave64 [FX_OUT];
 * fnsave [IMAGE_OUT]; ret, with RBX = MEM_BASE and RAX/RFLAGS from the record; the absolute
 * addresses use ModRM mod 00 rm 100 with a SIB without base or index (disp32).
 * With the argument "high" the pages sit at HIGH_BASE + CODE_BASE and HIGH_BASE + MEM_BASE,
 * above 4 GiB, so that FIP and FDP need their upper halves; the frame then addresses its
 * images RIP-relative (frstor [rip+d], fxsave64 [rip+d], fnsave [rip+d]) and the case
 * starts 6 bytes into the page, after the 6-byte frstor.
 * A case that ends in #MF records the state the kernel saved in the signal frame (FXSAVE
 * format for a 64-bit process), converted to the FNSAVE image as the kernel converts it for
 * 32-bit processes (arch/x86/kernel/fpu/regset.c, convert_from_fxsr()).
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
#define FX_OUT 0x31400u
#define HIGH_BASE 0x5a5a00000000ull

static uint64_t code_base = CODE_BASE;

struct __attribute__((packed)) in_rec {
  uint8_t len, code[15], image[108], mem[32];
  uint64_t rax, rflags;
};
struct __attribute__((packed)) out_rec {
  uint8_t image[108], fx[32], mem[32];
  uint64_t rax, rflags;
  uint32_t trap;
};

/* EFLAGS.RF, which the processor sets in the image it pushes for a fault (SDM Vol. 3A 18.3.1.1). */
#define EFLAGS_RF 0x10000u

static uint64_t r_rax, r_rflags;
static sigjmp_buf jb;
static volatile uint32_t trapno;
static uint8_t trap_fx[512];
static volatile int trap_fx_valid;

static void on_signal(int sig, siginfo_t *si, void *uc_) {
  ucontext_t *uc = uc_;
  (void)si;
  trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
  /* The registers where the case stopped: the case may have changed them before the fault. */
  r_rax = uc->uc_mcontext.gregs[REG_RAX];
  r_rflags = uc->uc_mcontext.gregs[REG_EFL] & ~(uint64_t)EFLAGS_RF;
  if (sig == SIGFPE && uc->uc_mcontext.fpregs) {
    memcpy(trap_fx, uc->uc_mcontext.fpregs, sizeof trap_fx);
    trap_fx_valid = 1;
  }
  siglongjmp(jb, 1);
}

/* The full tag of a register from its contents (SDM Vol. 1 8.1.7): 0 valid, 1 zero, 2 special. */
static unsigned tag_of(const uint8_t *r) {
  uint64_t mant;
  memcpy(&mant, r, 8);
  unsigned exp = (r[8] | r[9] << 8) & 0x7fff;
  if (exp == 0x7fff) return 2;
  if (exp == 0) return mant ? 2 : 1;
  return mant >> 63 ? 0 : 2;
}

/* The FNSAVE image of an FXSAVE image: full tag word, 32-bit pointers with FOP beside FCS. */
static void fsave_of_fxsave(const uint8_t *fx, uint8_t *img) {
  memset(img, 0, 108);
  memcpy(img + 0, fx + 0, 2);  /* FCW */
  memcpy(img + 4, fx + 2, 2);  /* FSW */
  unsigned top = (fx[3] >> 3) & 7, tw = 0;
  for (unsigned phys = 0; phys < 8; phys++) {
    unsigned st = (phys - top) & 7;
    unsigned t = fx[4] & (1u << phys) ? tag_of(fx + 32 + 16 * st) : 3;
    tw |= t << (2 * phys);
  }
  img[8] = tw, img[9] = tw >> 8;
  memcpy(img + 12, fx + 8, 4);  /* FIP[31:0] */
  memcpy(img + 18, fx + 6, 2);  /* FOP */
  memcpy(img + 20, fx + 16, 4); /* FDP[31:0] */
  for (int i = 0; i < 8; i++) memcpy(img + 28 + 10 * i, fx + 32 + 16 * i, 10);
}

static uint64_t mem_base = MEM_BASE;

/* A RIP-relative disp32 to `target` from the end of an instruction ending at `next`. */
static uint8_t *put_rel(uint8_t *p, uint64_t next, uint64_t target) {
  int32_t d = (int32_t)(target - next);
  memcpy(p, &d, 4);
  return p + 4;
}

static void run(uint64_t rax, uint64_t rflags) {
  __asm__ volatile(
      "pushq %%rbx\n\t"
      "pushq %%rbp\n\t"
      "pushq %1\n\t"
      "movq %2, %%rbx\n\t"
      "popfq\n\t"
      "movq code_base(%%rip), %%rcx\n\t"
      "call *%%rcx\n\t"
      "pushfq\n\t"
      "popq r_rflags(%%rip)\n\t"
      "movq %%rax, r_rax(%%rip)\n\t"
      "popq %%rbp\n\t"
      "popq %%rbx\n\t"
      : "+a"(rax), "+S"(rflags)
      : "m"(mem_base)
      : "rcx", "rdx", "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
}

int main(int argc, char **argv) {
  int high = argc > 1 && !strcmp(argv[1], "high");
  uint64_t base = high ? HIGH_BASE : 0;
  code_base = base + CODE_BASE;
  mem_base = base + MEM_BASE;
  uint8_t *code = mmap((void *)code_base, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  uint8_t *data = mmap((void *)mem_base, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
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
    static const uint8_t frstor[] = {0xdd, 0x24, 0x25, 0x00, 0x11, 0x03, 0x00};
    static const uint8_t fxsave64[] = {0x48, 0x0f, 0xae, 0x04, 0x25, 0x00, 0x14, 0x03, 0x00};
    static const uint8_t fnsave[] = {0xdd, 0x34, 0x25, 0x00, 0x12, 0x03, 0x00};
    if (high) {
      /* DD /4, REX.W 0F AE /0 and DD /6 with ModRM mod 00 rm 101: [rip+disp32]. */
      *p++ = 0xdd, *p++ = 0x25;
      p = put_rel(p, code_base + (p + 4 - code), base + IMAGE_IN);
      memcpy(p, in.code, in.len), p += in.len;
      *p++ = 0x48, *p++ = 0x0f, *p++ = 0xae, *p++ = 0x05;
      p = put_rel(p, code_base + (p + 4 - code), base + FX_OUT);
      *p++ = 0xdd, *p++ = 0x35;
      p = put_rel(p, code_base + (p + 4 - code), base + IMAGE_OUT);
    } else {
      memcpy(p, frstor, sizeof frstor), p += sizeof frstor;
      memcpy(p, in.code, in.len), p += in.len;
      memcpy(p, fxsave64, sizeof fxsave64), p += sizeof fxsave64;
      memcpy(p, fnsave, sizeof fnsave), p += sizeof fnsave;
    }
    *p = 0xc3;
    memcpy(data, in.mem, 32);
    memcpy(data + 0x100, in.image, 108);
    memset(data + 0x200, 0xcc, 108);
    memset(data + 0x400, 0xcc, 32);
    trapno = 0xffffffffu;
    trap_fx_valid = 0;
    r_rax = in.rax;
    r_rflags = in.rflags;
    if (sigsetjmp(jb, 1) == 0) run(in.rax, in.rflags);
    else __asm__ volatile("fninit");
    if (trap_fx_valid) {
      fsave_of_fxsave(trap_fx, out.image);
      memcpy(out.fx, trap_fx, 32);
    } else {
      memcpy(out.image, data + 0x200, 108);
      memcpy(out.fx, data + 0x400, 32);
    }
    memcpy(out.mem, data, 32);
    out.rax = r_rax;
    out.rflags = r_rflags;
    out.trap = trapno;
    fwrite(&out, sizeof out, 1, stdout);
  }
  return 0;
}
