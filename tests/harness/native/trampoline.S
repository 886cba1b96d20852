/*
 * Enter and leave a test case's code with every general register and EFLAGS
 * under our control (i386, built with `gcc -m32 -no-pie`).
 *
 * void run_code(struct guest_regs *regs, const void *entry);
 *
 * struct guest_regs is { eax, ebx, ecx, edx, esi, edi, ebp, esp, eflags }
 * (offsets 0..32, see runner.c). run_code loads all nine, jumps to `entry`,
 * and the case's code ends with `jmp dword ptr [tramp_exit_ptr]` (FF 25,
 * written by runner.c after the case bytes). An indirect jump through memory
 * touches neither the stack nor the flags, so a case may leave ESP anywhere
 * (POP ESP, ENTER) and its flags arrive here unchanged.
 *
 * Because ESP belongs to the case, the host stack pointer is parked in a
 * static; a fault inside the case never returns here, runner.c's signal
 * handler (on the alternate stack) siglongjmps past run_code instead.
 */
	.intel_syntax noprefix

	.data
	.align 4
	.globl tramp_exit_ptr
tramp_exit_ptr:	.long tramp_exit
tramp_state:	.long 0
tramp_entry:	.long 0
tramp_host_esp:	.long 0
tramp_guest_esp: .long 0

	.text
	.globl run_code
	.type run_code, @function
run_code:
	/* cdecl callee-saved registers; the case clobbers all of them. */
	push ebp
	push ebx
	push esi
	push edi
	mov eax, [esp + 20]		/* regs */
	mov ecx, [esp + 24]		/* entry */
	mov [tramp_state], eax
	mov [tramp_entry], ecx
	mov [tramp_host_esp], esp

	/* POPFD at CPL 3 with IOPL 0 silently keeps IF and IOPL (SDM Vol. 2B,
	   POPF/POPFD: "Operation"), so only the arithmetic flags and DF load. */
	push dword ptr [eax + 32]
	popfd
	/* From here on nothing may change the flags: MOV and JMP do not. */
	mov ebx, [eax + 4]
	mov ecx, [eax + 8]
	mov edx, [eax + 12]
	mov esi, [eax + 16]
	mov edi, [eax + 20]
	mov ebp, [eax + 24]
	mov esp, [eax + 28]
	mov eax, [eax + 0]
	jmp dword ptr [tramp_entry]

	.globl tramp_exit
tramp_exit:
	mov [tramp_guest_esp], esp
	mov esp, [tramp_host_esp]
	pushfd
	push eax
	mov eax, [tramp_state]
	pop dword ptr [eax + 0]
	pop dword ptr [eax + 32]
	mov [eax + 4], ebx
	mov [eax + 8], ecx
	mov [eax + 12], edx
	mov [eax + 16], esi
	mov [eax + 20], edi
	mov [eax + 24], ebp
	mov ecx, [tramp_guest_esp]
	mov [eax + 28], ecx
	/* The i386 SysV ABI requires DF = 0 on return (string ops may set it). */
	cld
	pop edi
	pop esi
	pop ebx
	pop ebp
	ret
	.size run_code, . - run_code

	.section .note.GNU-stack, "", @progbits
