; cpuinfo.asm: the cpuid command.
;
; CPUID arrived with the Pentium and late i486 steppings; wasmkvm's first CPU
; model is an i386/i486, so the command first asks EFLAGS whether CPUID
; exists: software can toggle EFLAGS.ID (bit 21) exactly when it does (SDM
; Vol. 1 §3.4.3.3), and EFLAGS.AC (bit 18) is fixed at 0 on the i386, which
; tells the two older CPUs apart (SDM Vol. 3, "Architecture Compatibility").

%include "demo.inc"

extern print_str, print_char, print_nl, print_hex32, print_dec32

global cmd_cpuid

EFLAGS_AC       equ 1 << 18
EFLAGS_ID       equ 1 << 21
FLAGS_WRAP      equ 78          ; wrap the flag list before this column
FLAGS_INDENT    equ 6

; The one instruction newer than the i486 in this guest (demo.inc says
; "cpu 486" to NASM); only reached after the EFLAGS.ID check.
%macro CPUID 0
    cpu 586
    cpuid
    cpu 486
%endmacro

section .text

; eflags_toggles: EAX = one EFLAGS bit; ZF = 0 if software can flip it.
; EFLAGS is restored afterwards.
eflags_toggles:
    push ecx
    push edx
    pushfd                          ; the original, restored below
    pushfd
    pop ecx                         ; ECX = original
    mov edx, ecx
    xor edx, eax
    push edx
    popfd                           ; try the flipped value
    pushfd
    pop edx                         ; EDX = what stuck
    popfd
    xor edx, ecx                    ; the bits that changed
    test edx, eax
    pop edx
    pop ecx
    ret

cmd_cpuid:
    mov eax, EFLAGS_ID
    call eflags_toggles
    jnz .has_cpuid
    mov esi, msg_i486
    mov eax, EFLAGS_AC
    call eflags_toggles
    jnz .no_cpuid
    mov esi, msg_i386
.no_cpuid:
    jmp print_str

.has_cpuid:
    ; Leaf 0 (SDM Vol. 2A, CPUID): EAX = highest basic leaf, and the vendor
    ; string in EBX, EDX, ECX order.
    xor eax, eax
    CPUID
    mov [vendor], ebx
    mov [vendor + 4], edx
    mov [vendor + 8], ecx
    mov [max_leaf], eax
    mov esi, msg_vendor
    call print_str
    mov esi, vendor
    call print_str
    mov esi, msg_max_leaf
    call print_str
    call print_hex32
    call print_nl
    cmp dword [max_leaf], 1
    jb .brand

    ; Leaf 1 EAX, SDM Vol. 2A Figure 3-6 "Version Information Returned by
    ; CPUID in EAX": the extended family counts only when the family is 0xf,
    ; the extended model only when the family is 6 or 0xf.
    mov eax, 1
    CPUID
    mov [leaf1_edx], edx
    mov [leaf1_ecx], ecx
    mov ebx, eax
    mov esi, msg_family
    call print_str
    mov ecx, ebx
    shr ecx, 8
    and ecx, 0x0f                   ; ECX = family
    mov edx, ebx
    shr edx, 4
    and edx, 0x0f                   ; EDX = model
    cmp ecx, 0x0f
    jne .no_ext_family
    mov eax, ebx
    shr eax, 20
    and eax, 0xff
    add ecx, eax
    jmp .ext_model
.no_ext_family:
    cmp ecx, 6
    jne .decoded
.ext_model:
    mov eax, ebx
    shr eax, 12
    and eax, 0xf0
    add edx, eax
.decoded:
    mov eax, ecx
    call print_dec32
    mov esi, msg_model
    call print_str
    mov eax, edx
    call print_dec32
    mov esi, msg_stepping
    call print_str
    mov eax, ebx
    and eax, 0x0f
    call print_dec32
    mov esi, msg_leaf1_eax
    call print_str
    mov eax, ebx
    call print_hex32
    mov esi, msg_close
    call print_str

    mov esi, msg_features
    call print_str
    mov eax, [leaf1_edx]
    call print_hex32
    mov esi, msg_ecx
    call print_str
    mov eax, [leaf1_ecx]
    call print_hex32
    call print_nl

    mov esi, msg_flags
    call print_str
    mov dword [column], FLAGS_INDENT
    mov eax, [leaf1_edx]
    mov esi, edx_names
    call print_flag_names
    mov eax, [leaf1_ecx]
    mov esi, ecx_names
    call print_flag_names
    call print_nl

.brand:
    ; Leaves 0x80000002-4 hold the 48-byte brand string. On CPUs without
    ; extended leaves, 0x80000000 returns some other leaf's data, so check
    ; that the answer looks like an extended leaf number.
    mov eax, 0x80000000
    CPUID
    cmp eax, 0x80000004
    jb .done
    cmp eax, 0x8000ffff
    ja .done
    mov edi, brand
    mov esi, 0x80000002
.brand_leaf:
    mov eax, esi
    CPUID
    mov [edi], eax
    mov [edi + 4], ebx
    mov [edi + 8], ecx
    mov [edi + 12], edx
    add edi, 16
    inc esi
    cmp esi, 0x80000004
    jbe .brand_leaf
    mov esi, msg_brand
    call print_str
    mov esi, brand
.skip_blank:                        ; Intel right-aligns it with spaces
    cmp byte [esi], ' '
    jne .print_brand
    inc esi
    jmp .skip_blank
.print_brand:
    call print_str
    call print_nl
.done:
    ret

; print_flag_names: EAX = 32 feature bits, ESI = 32 NUL-terminated names
; back to back, bit 0 first ("" for bits without a name). Prints " name" for
; each set bit, wrapping lines at FLAGS_WRAP.
print_flag_names:
    pushad
    mov ebx, eax
    mov ecx, 32
.bit:
    mov edi, esi                    ; EDI = this name
.find_end:
    lodsb
    test al, al
    jnz .find_end                   ; ESI = next name
    shr ebx, 1
    jnc .next
    mov edx, esi
    sub edx, edi
    dec edx                         ; EDX = length
    jz .next
    mov eax, [column]
    lea eax, [eax + edx + 1]
    cmp eax, FLAGS_WRAP
    jbe .fits
    push esi
    mov esi, msg_flags_wrap
    call print_str
    pop esi
    mov eax, FLAGS_INDENT + 1
    add eax, edx
.fits:
    mov [column], eax
    mov al, ' '
    call print_char
    push esi
    mov esi, edi
    call print_str
    pop esi
.next:
    dec ecx
    jnz .bit
    popad
    ret

section .rodata
msg_i386:       db `cpuid: not available (EFLAGS.AC and EFLAGS.ID are fixed: an i386)\n`, 0
msg_i486:       db `cpuid: not available (EFLAGS.ID is fixed: an i486 without CPUID)\n`, 0
msg_vendor:     db "vendor: ", 0
msg_max_leaf:   db "  max leaf: 0x", 0
msg_family:     db "family ", 0
msg_model:      db " model ", 0
msg_stepping:   db " stepping ", 0
msg_leaf1_eax:  db " (leaf 1 eax=0x", 0
msg_close:      db `)\n`, 0
msg_features:   db "features edx=0x", 0
msg_ecx:        db " ecx=0x", 0
msg_flags:      db "flags:", 0
msg_flags_wrap: db `\n      `, 0      ; FLAGS_INDENT spaces
msg_brand:      db "brand: ", 0

; Leaf 1 feature bit names as Linux's /proc/cpuinfo spells them
; (arch/x86/include/asm/cpufeatures.h, words 0 and 4).
edx_names:
    db "fpu", 0, "vme", 0, "de", 0, "pse", 0, "tsc", 0, "msr", 0, "pae", 0, "mce", 0
    db "cx8", 0, "apic", 0, 0, "sep", 0, "mtrr", 0, "pge", 0, "mca", 0, "cmov", 0
    db "pat", 0, "pse36", 0, "pn", 0, "clflush", 0, 0, "dts", 0, "acpi", 0, "mmx", 0
    db "fxsr", 0, "sse", 0, "sse2", 0, "ss", 0, "ht", 0, "tm", 0, "ia64", 0, "pbe", 0
ecx_names:
    db "pni", 0, "pclmulqdq", 0, "dtes64", 0, "monitor", 0, "ds_cpl", 0, "vmx", 0, "smx", 0, "est", 0
    db "tm2", 0, "ssse3", 0, "cid", 0, "sdbg", 0, "fma", 0, "cx16", 0, "xtpr", 0, "pdcm", 0
    db 0, "pcid", 0, "dca", 0, "sse4_1", 0, "sse4_2", 0, "x2apic", 0, "movbe", 0, "popcnt", 0
    db "tsc_deadline_timer", 0, "aes", 0, "xsave", 0, "osxsave", 0, "avx", 0, "f16c", 0, "rdrand", 0, "hypervisor", 0

section .bss
alignb 4
max_leaf:   resd 1
leaf1_edx:  resd 1
leaf1_ecx:  resd 1
column:     resd 1
vendor:     resb 13             ; 12 bytes and the NUL (.bss is zeroed)
brand:      resb 49
