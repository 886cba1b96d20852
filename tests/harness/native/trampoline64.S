/*
 * Enter and leave a test case's code with every general register and RFLAGS
 * under our control, in 64-bit mode (x86-64, built with `gcc -m64 -no-pie`).
 *
 * void run_code(struct guest_regs *regs, const void *entry);
 *
 * struct guest_regs is { rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8..r15,
 * rflags } (ModRM encoding order, offsets 0..128, see runner.c). run_code
 * loads all seventeen, jumps to `entry`, and the case's code ends with
 * `jmp qword ptr [tramp_exit_ptr]` (FF 24 25 disp32, written by runner.c). An
 * indirect jump through memory touches neither the stack nor the flags, so a
 * case may leave RSP anywhere and its flags arrive here unchanged.
 *
 * As in trampoline.S, the host stack pointer is parked in a static while the
 * case owns RSP; a fault never returns here (runner.c siglongjmps past us).
 */
	.intel_syntax noprefix

	.data
	.align 8
	.globl tramp_exit_ptr
tramp_exit_ptr:	.quad tramp_exit
tramp_state:	.quad 0
tramp_entry:	.quad 0
tramp_host_rsp:	.quad 0
tramp_guest_rsp: .quad 0

	.text
	.globl run_code
	.type run_code, @function
run_code:
	/* SysV AMD64 callee-saved registers; the case clobbers all of them. */
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	mov [rip + tramp_state], rdi
	mov [rip + tramp_entry], rsi
	mov [rip + tramp_host_rsp], rsp

	/* POPFQ at CPL 3 with IOPL 0 keeps IF and IOPL (SDM Vol. 2B, POPF/POPFQ:
	   "Operation"), so only the arithmetic flags and DF load. */
	push qword ptr [rdi + 128]
	popfq
	/* From here on nothing may change the flags: MOV and JMP do not. */
	mov rax, rdi
	mov rcx, [rax + 8]
	mov rdx, [rax + 16]
	mov rbx, [rax + 24]
	mov rbp, [rax + 40]
	mov rsi, [rax + 48]
	mov rdi, [rax + 56]
	mov r8, [rax + 64]
	mov r9, [rax + 72]
	mov r10, [rax + 80]
	mov r11, [rax + 88]
	mov r12, [rax + 96]
	mov r13, [rax + 104]
	mov r14, [rax + 112]
	mov r15, [rax + 120]
	mov rsp, [rax + 32]
	mov rax, [rax + 0]
	jmp qword ptr [rip + tramp_entry]

	.globl tramp_exit
tramp_exit:
	mov [rip + tramp_guest_rsp], rsp
	mov rsp, [rip + tramp_host_rsp]
	pushfq
	push rax
	mov rax, [rip + tramp_state]
	pop qword ptr [rax + 0]
	pop qword ptr [rax + 128]
	mov [rax + 8], rcx
	mov [rax + 16], rdx
	mov [rax + 24], rbx
	mov [rax + 40], rbp
	mov [rax + 48], rsi
	mov [rax + 56], rdi
	mov [rax + 64], r8
	mov [rax + 72], r9
	mov [rax + 80], r10
	mov [rax + 88], r11
	mov [rax + 96], r12
	mov [rax + 104], r13
	mov [rax + 112], r14
	mov [rax + 120], r15
	mov rcx, [rip + tramp_guest_rsp]
	mov [rax + 32], rcx
	/* The SysV ABI requires DF = 0 on return (string ops may set it). */
	cld
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret
	.size run_code, . - run_code

	.section .note.GNU-stack, "", @progbits
