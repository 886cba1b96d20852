/*
 * Native CPU oracle: runs test cases on the host CPU in 32-bit user mode and
 * prints the final registers, EFLAGS and memory buffer (or the exception).
 *
 * Built by tests/harness/record.ts:
 *   gcc -m32 -O1 -no-pie -DCODE_BASE=.. -DMEM_BASE=.. -DMEM_SIZE=.. -DSCRATCH_SP=..
 *       runner.c trampoline.S
 * The layout numbers come from tests/harness/fixture-format.ts (one source).
 *
 * Input, one case per line, all numbers hex without 0x:
 *   <code> <eax> <ebx> <ecx> <edx> <esi> <edi> <ebp> <esp> <eflags> <mem|->
 * where <code> is the instruction bytes and <mem> the MEM_SIZE-byte buffer
 * contents ("-": zeros). Output, one line per case, in order:
 *   ok <eax> <ebx> <ecx> <edx> <esi> <edi> <ebp> <esp> <eflags> <mem>
 *   fault <vector> <eip> <eax> ... <esp> <eflags> <mem>
 *   error <what>            (the case escaped its sandbox: generator bug)
 * `eflags` is the full 32-bit value (PUSHFD at exit, or the saved image of a
 * fault), `vector` the CPU exception number the kernel saw (trapno).
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

struct guest_regs {
	uint32_t eax, ebx, ecx, edx, esi, edi, ebp, esp, eflags;
};

extern void run_code(struct guest_regs *regs, const void *entry);
extern uint32_t tramp_exit_ptr;

static sigjmp_buf fault_env;
static volatile sig_atomic_t in_case;
static struct guest_regs fault_regs;
static uint32_t fault_vector, fault_eip;
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
	fault_regs.eax = g[REG_EAX];
	fault_regs.ebx = g[REG_EBX];
	fault_regs.ecx = g[REG_ECX];
	fault_regs.edx = g[REG_EDX];
	fault_regs.esi = g[REG_ESI];
	fault_regs.edi = g[REG_EDI];
	fault_regs.ebp = g[REG_EBP];
	fault_regs.esp = g[REG_UESP];
	fault_regs.eflags = g[REG_EFL];
	fault_eip = g[REG_EIP];
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
	printf("%08x %08x %08x %08x %08x %08x %08x %08x %08x", r->eax, r->ebx,
	       r->ecx, r->edx, r->esi, r->edi, r->ebp, r->esp, r->eflags);
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

	if (sscanf(line, "%121s %x %x %x %x %x %x %x %x %x %129s", code_hex,
		   &r.eax, &r.ebx, &r.ecx, &r.edx, &r.esi, &r.edi, &r.ebp,
		   &r.esp, &r.eflags, mem_hex) != 11) {
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

	/* Case bytes, then `jmp dword ptr [tramp_exit_ptr]` (FF /4, SDM Vol. 2A
	 * JMP); INT3 padding catches a case that jumps past its own end. */
	memset(code_page, 0xcc, PAGE);
	memcpy(code_page, code, code_len);
	code_page[code_len] = 0xff;
	code_page[code_len + 1] = 0x25;
	uint32_t target = (uint32_t)(uintptr_t)&tramp_exit_ptr;
	memcpy(code_page + code_len + 2, &target, 4);

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
		printf("fault %x %08x ", fault_vector, fault_eip);
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
