/*
 * Native CPU oracle: runs test cases on the host CPU in 32-bit user mode (or,
 * built for x86-64, in 64-bit mode) and prints the final registers, EFLAGS and
 * memory buffer (or the exception).
 *
 * Built by tests/harness/record.ts, once per mode:
 *   gcc -m32 -O1 -no-pie -DCODE_BASE=.. -DMEM_BASE=.. -DMEM_SIZE=.. -DSCRATCH_SP=..
 *       runner.c trampoline.S
 *   gcc -m64 -O1 -no-pie -D...same... -DGS_BASE=.. runner.c trampoline64.S
 * The layout numbers come from tests/harness/fixture-format.ts (one source).
 *
 * Input, one case per line, all numbers hex without 0x:
 *   32-bit: <code> <eax> <ebx> <ecx> <edx> <esi> <edi> <ebp> <esp> <eflags> <mem|->
 *   64-bit: <code> <rax> <rcx> <rdx> <rbx> <rsp> <rbp> <rsi> <rdi> <r8> ... <r15> <rflags> <mem|->
 * where <code> is the instruction bytes and <mem> the MEM_SIZE-byte buffer
 * contents ("-": zeros). Output, one line per case, in order:
 *   ok <registers as in the input> <eflags> <mem>
 *   fault <vector> <eip> <registers> <eflags> <mem>
 *   error <what>            (the case escaped its sandbox: generator bug)
 * `eflags` is the full EFLAGS/RFLAGS value (PUSHF at exit, or the saved image
 * of a fault), `vector` the CPU exception number the kernel saw (trapno).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>
#ifdef __x86_64__
#include <asm/prctl.h>
#include <sys/syscall.h>
#endif

#if !defined(CODE_BASE) || !defined(MEM_BASE) || !defined(MEM_SIZE) || !defined(SCRATCH_SP)
#error "build through tests/harness/record.ts, which passes the layout"
#endif

#define PAGE 4096u
/* The buffer sits at the start of the middle one of three pages; the other
 * bytes of those pages are a canary, checked after every case. The scratch
 * stack (default ESP) lies in the first page. */
#define MEM_REGION (MEM_BASE - PAGE)
#define MEM_REGION_SIZE (3 * PAGE)
#define CANARY 0xa5
#define MAX_CODE 60 /* 4 instructions of at most 15 bytes (SDM Vol. 1, 2.x) */

#ifdef __x86_64__
#ifndef GS_BASE
#error "the 64-bit runner needs GS_BASE (the GS segment base cases see)"
#endif
/* The 16 registers in ModRM encoding order, then RFLAGS (trampoline64.S). */
#define NREGS 16
typedef uint64_t reg_t;
static const int greg_index[NREGS] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};
#define REG_FMT "%016lx"
#define REG_SCAN "%lx"
#define REG_IP REG_RIP
#else
/* eax, ebx, ecx, edx, esi, edi, ebp, esp, then EFLAGS (trampoline.S). */
#define NREGS 8
typedef uint32_t reg_t;
static const int greg_index[NREGS] = {
	REG_EAX, REG_EBX, REG_ECX, REG_EDX, REG_ESI, REG_EDI, REG_EBP, REG_UESP,
};
#define REG_FMT "%08x"
#define REG_SCAN "%x"
#define REG_IP REG_EIP
#endif

struct guest_regs {
	reg_t r[NREGS];
	reg_t eflags;
};

extern void run_code(struct guest_regs *regs, const void *entry);
extern reg_t tramp_exit_ptr;

static sigjmp_buf fault_env;
static volatile sig_atomic_t in_case;
static struct guest_regs fault_regs;
static uint32_t fault_vector;
static reg_t fault_eip;
static uint8_t *code_page, *mem_region;
static uint8_t canary_page[MEM_REGION_SIZE];

static void on_signal(int sig, siginfo_t *info, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *g = uc->uc_mcontext.gregs;

	(void)info;
	if (!in_case) {
		/* A crash in the runner itself: die loudly with the default action. */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	for (int i = 0; i < NREGS; i++)
		fault_regs.r[i] = (reg_t)g[greg_index[i]];
	fault_regs.eflags = (reg_t)g[REG_EFL];
	fault_eip = (reg_t)g[REG_IP];
	/* SIGALRM is our watchdog, not a CPU exception. */
	fault_vector = sig == SIGALRM ? 0xffffffffu : (uint32_t)g[REG_TRAPNO];
	in_case = 0;
	siglongjmp(fault_env, 1);
}

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void *map_fixed(uint32_t addr, size_t size, int prot)
{
	void *p = mmap((void *)(uintptr_t)addr, size, prot,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED || p != (void *)(uintptr_t)addr)
		die("mmap (is vm.mmap_min_addr above the layout?)");
	return p;
}

static void setup(void)
{
	static uint8_t altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa;
	int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGALRM };

	code_page = map_fixed(CODE_BASE, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC);
	mem_region = map_fixed(MEM_REGION, MEM_REGION_SIZE, PROT_READ | PROT_WRITE);
	memset(canary_page, CANARY, sizeof(canary_page));

	/* The case owns ESP, so the kernel must build signal frames elsewhere. */
	if (sigaltstack(&ss, NULL))
		die("sigaltstack");
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL))
			die("sigaction");
#ifdef __x86_64__
	/* x86-64 Linux leaves GS free in user space (glibc's TLS is FS), so the
	 * GS-override cases get a base of our choosing. */
	if (syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)GS_BASE))
		die("arch_prctl(ARCH_SET_GS)");
#endif
}

static int parse_hex_bytes(const char *s, uint8_t *out, size_t max)
{
	size_t n = strlen(s);
	if (n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

static void print_regs(const struct guest_regs *r)
{
	for (int i = 0; i < NREGS; i++)
		printf(REG_FMT " ", r->r[i]);
	printf(REG_FMT, r->eflags);
}

static void print_mem(void)
{
	const uint8_t *buf = mem_region + PAGE;
	putchar(' ');
	for (unsigned i = 0; i < MEM_SIZE; i++)
		printf("%02x", buf[i]);
	putchar('\n');
}

/* Every byte of the mapped region outside the buffer must still be canary;
 * otherwise restore it and report the case as escaping the buffer. */
static int canary_intact(void)
{
	int ok = memcmp(mem_region, canary_page, PAGE) == 0 &&
		 memcmp(mem_region + PAGE + MEM_SIZE, canary_page,
			MEM_REGION_SIZE - PAGE - MEM_SIZE) == 0;
	if (!ok) {
		memset(mem_region, CANARY, MEM_REGION_SIZE);
	}
	return ok;
}

static void run_case(char *line)
{
	char code_hex[2 * MAX_CODE + 2], mem_hex[2 * MEM_SIZE + 2];
	uint8_t code[MAX_CODE];
	struct guest_regs r;
	int code_len;
	volatile int faulted = 0;

	char *p = line;
	int used;
	if (sscanf(p, "%121s%n", code_hex, &used) != 1) {
		printf("error bad-input-line\n");
		return;
	}
	p += used;
	for (int i = 0; i <= NREGS; i++) {
		reg_t *dst = i < NREGS ? &r.r[i] : &r.eflags;
		if (sscanf(p, " " REG_SCAN "%n", dst, &used) != 1) {
			printf("error bad-input-line\n");
			return;
		}
		p += used;
	}
	if (sscanf(p, " %129s", mem_hex) != 1) {
		printf("error bad-input-line\n");
		return;
	}
	code_len = parse_hex_bytes(code_hex, code, MAX_CODE);
	if (code_len < 0) {
		printf("error bad-code\n");
		return;
	}
	memset(mem_region, CANARY, MEM_REGION_SIZE);
	memset(mem_region + PAGE, 0, MEM_SIZE);
	if (strcmp(mem_hex, "-") != 0 &&
	    parse_hex_bytes(mem_hex, mem_region + PAGE, MEM_SIZE) != MEM_SIZE) {
		printf("error bad-mem\n");
		return;
	}

	/* Case bytes, then an indirect JMP through tramp_exit_ptr (FF /4, SDM
	 * Vol. 2A JMP): `jmp dword ptr [abs32]` (FF 25) in 32-bit code, `jmp qword
	 * ptr [abs32]` (FF 24 25, SIB without base or index: FF 25 would be
	 * RIP-relative) in 64-bit code. The non-PIE binary's data lies below 2 GiB.
	 * INT3 padding catches a case that jumps past its own end. */
	memset(code_page, 0xcc, PAGE);
	memcpy(code_page, code, code_len);
	uint8_t *tail = code_page + code_len;
	*tail++ = 0xff;
#ifdef __x86_64__
	*tail++ = 0x24;
#endif
	*tail++ = 0x25;
	uint32_t target = (uint32_t)(uintptr_t)&tramp_exit_ptr;
	memcpy(tail, &target, 4);

	if (sigsetjmp(fault_env, 1) == 0) {
		in_case = 1;
		alarm(5);
		run_code(&r, code_page);
		in_case = 0;
	} else {
		faulted = 1;
	}
	alarm(0);

	if (!canary_intact()) {
		printf("error wrote-outside-buffer\n");
		return;
	}
	if (faulted) {
		if (fault_vector == 0xffffffffu) {
			printf("error timeout\n");
			return;
		}
		printf("fault %x " REG_FMT " ", fault_vector, fault_eip);
		print_regs(&fault_regs);
	} else {
		printf("ok ");
		print_regs(&r);
	}
	print_mem();
}

int main(void)
{
	static char line[1024];

	setup();
	while (fgets(line, sizeof(line), stdin)) {
		if (line[0] == '\n' || line[0] == '#')
			continue;
		run_case(line);
	}
	return ferror(stdout) ? 1 : 0;
}
