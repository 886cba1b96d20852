; mbdump: a Multiboot v1 guest that prints, over COM1, the machine state and the
; Multiboot information a boot loader hands it, then leaves through isa-debug-exit.
; record.sh boots it under `qemu-system-i386 -kernel` to record what QEMU (with
; SeaBIOS and QEMU's multiboot option ROM) really does; multiboot.test.ts holds
; the recorded lines. Built as ELF32 (flags 0x3) or, with -DAOUT, as a flat image
; that uses the a.out kludge (flags 0x10003, header at file offset 0x40).
bits 32
%ifdef AOUT
org 0x200000
section .text
pad: times 0x40 db 0x90
align 4
mbhdr:
  dd 0x1BADB002
  dd 0x00010003
  dd -(0x1BADB002 + 0x00010003)
  dd mbhdr
  dd 0x200000
  dd load_end
  dd bss_end
  dd _start
%else
section .text
global _start
align 4
mbhdr:
  dd 0x1BADB002
  dd 0x00000003
  dd -(0x1BADB002 + 0x00000003)
%endif
_start:
  mov [saved_eax], eax
  mov [saved_ebx], ebx
  pushfd
  pop dword [saved_eflags]
  mov eax, cr0
  mov [saved_cr0], eax
  mov esp, stack_top
  mov esi, s_eax
  call puts
  mov eax, [saved_eax]
  call puthex_nl
  mov esi, s_ebx
  call puts
  mov eax, [saved_ebx]
  call puthex_nl
  mov esi, s_cr0
  call puts
  mov eax, [saved_cr0]
  call puthex_nl
  mov esi, s_efl
  call puts
  mov eax, [saved_eflags]
  call puthex_nl
  mov esi, s_seg
  call puts
  xor eax, eax
  mov ax, cs
  call puthex_sp
  mov ax, ds
  call puthex_sp
  mov ax, es
  call puthex_sp
  mov ax, fs
  call puthex_sp
  mov ax, gs
  call puthex_sp
  mov ax, ss
  call puthex_nl
  ; MBI: 22 dwords
  mov esi, s_mbi
  call puts
  mov ebx, [saved_ebx]
  mov ecx, 22
  call dumpwords
  ; mmap
  mov esi, s_mmap
  call puts
  mov ebx, [saved_ebx]
  mov ecx, [ebx+44]
  shr ecx, 2
  mov ebx, [ebx+48]
  call dumpwords
  ; cmdline
  mov esi, s_cmd
  call puts
  mov ebx, [saved_ebx]
  mov esi, [ebx+16]
  call putq
  mov esi, s_bl
  call puts
  mov ebx, [saved_ebx]
  mov esi, [ebx+64]
  call putq
  ; mods
  mov esi, s_mods
  call puts
  mov ebx, [saved_ebx]
  mov ecx, [ebx+20]
  shl ecx, 2
  mov ebx, [ebx+24]
  call dumpwords
  mov ebx, [saved_ebx]
  mov edi, [ebx+24]
  mov ebp, [ebx+20]
.modloop:
  test ebp, ebp
  jz .moddone
  mov esi, s_modstr
  call puts
  mov esi, [edi+8]
  call putq
  mov esi, s_modhead
  call puts
  mov ebx, [edi]
  mov ecx, 4
  call dumpwords
  add edi, 16
  dec ebp
  jmp .modloop
.moddone:
  ; BDA EBDA segment word at 0x40e, and word at 0x413 (base mem KiB)
  mov esi, s_bda
  call puts
  xor eax, eax
  mov ax, [0x40e]
  call puthex_sp
  mov ax, [0x413]
  call puthex_nl
  mov esi, s_end
  call puts
  mov dx, 0xf4
  mov al, 0
  out dx, al
  hlt
  jmp $

; ebx = addr, ecx = count of dwords; prints them space-separated, then newline
dumpwords:
  test ecx, ecx
  jz .nl
.l:
  mov eax, [ebx]
  call puthex_sp
  add ebx, 4
  dec ecx
  jnz .l
.nl:
  mov al, 10
  call putc
  ret

putc:
  push edx
  push eax
  mov dx, 0x3fd
.w:
  in al, dx
  test al, 0x20
  jz .w
  pop eax
  mov dx, 0x3f8
  out dx, al
  pop edx
  ret

puts:
  push eax
.l:
  lodsb
  test al, al
  jz .d
  call putc
  jmp .l
.d:
  pop eax
  ret

; quoted string then newline
putq:
  mov al, '"'
  call putc
  call puts
  mov al, '"'
  call putc
  mov al, 10
  call putc
  ret

puthex:
  push ecx
  push eax
  mov ecx, 8
.l:
  rol eax, 4
  push eax
  and al, 0xf
  add al, '0'
  cmp al, '9'
  jbe .ok
  add al, 7
.ok:
  call putc
  pop eax
  dec ecx
  jnz .l
  pop eax
  pop ecx
  ret
puthex_sp:
  call puthex
  push eax
  mov al, ' '
  call putc
  pop eax
  ret
puthex_nl:
  call puthex
  push eax
  mov al, 10
  call putc
  pop eax
  ret

section .data
s_eax: db "EAX ",0
s_ebx: db "EBX ",0
s_cr0: db "CR0 ",0
s_efl: db "EFLAGS ",0
s_seg: db "CS DS ES FS GS SS ",0
s_mbi: db "MBI ",0
s_mmap: db "MMAP ",0
s_cmd: db "CMDLINE ",0
s_bl: db "LOADER ",0
s_mods: db "MODS ",0
s_modstr: db "MODSTR ",0
s_modhead: db "MODHEAD ",0
s_bda: db "BDA40E_413 ",0
s_end: db "END",10,0
%ifdef AOUT
load_end:
section .bss
alignb 4
%else
section .bss
%endif
saved_eax: resd 1
saved_ebx: resd 1
saved_cr0: resd 1
saved_eflags: resd 1
resb 4096
stack_top:
%ifdef AOUT
bss_end:
%endif
