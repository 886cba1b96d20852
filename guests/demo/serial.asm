; serial.asm: the COM1 console. Output is polled (uart16550.inc); input
; arrives by interrupt into a ring buffer that serial_getc sleeps on.

%include "uart16550.inc"        ; serial_init and serial_putc live here
%include "demo.inc"

global serial_setup, serial_irq, serial_getc

RX_DRAIN_MAX    equ 256         ; bytes per drain, in case LSR.DR never clears

section .text

; serial_setup: called once, with EFLAGS.IF = 0, after pic_init.
serial_setup:
    push eax
    push edx
    call serial_rescue_rbr          ; a byte typed before boot, if any
    jnc .init
    call rx_put
.init:
    call serial_init
    ; Receive interrupts on. If the FIFO already holds data, INTR rises now,
    ; the 8259A latches the edge, and the IRQ arrives at the first STI
    ; (PC16550D, "Interrupt Enable Register").
    mov dx, SERIAL_BASE + UART_IER
    mov al, UART_IER_RDI
    out dx, al
    pop edx
    pop eax
    ret

; serial_irq: IRQ 4 handler body (idt.asm sends the EOI). Reading RBR until
; LSR.DR clears empties the FIFO, which ends both the received-data and the
; character-timeout interrupt (PC16550D, "FIFO Interrupt Mode Operation").
serial_irq:
    pushad
    mov ecx, RX_DRAIN_MAX
.next:
    mov dx, SERIAL_BASE + UART_LSR
    in al, dx
    cmp al, 0xff                    ; nothing decodes the port: no UART
    je .done
    test al, UART_LSR_DR
    jz .done
    mov dx, SERIAL_BASE + UART_RX
    in al, dx
    call rx_put
    dec ecx
    jnz .next
.done:
    popad
    ret

; rx_put: AL = received byte, appended to the ring, or counted in rx_dropped
; if the ring is full. Runs with IF = 0 (IRQ handler or boot), the single
; producer; serial_getc is the single consumer. Each index has one writer,
; byte indices wrap at the ring's 256, and one slot stays free so that
; head == tail means empty.
rx_put:
    push ebx
    movzx ebx, byte [rx_head]
    mov [rx_ring + ebx], al
    inc bl
    cmp bl, [rx_tail]
    je .full                        ; drop the byte, keep what is queued
    mov [rx_head], bl
    pop ebx
    ret
.full:
    inc dword [rx_dropped]
    pop ebx
    ret

; serial_getc: returns the next received byte in AL (EAX zero extended),
; sleeping while there is none. The empty check runs with IF = 0, and STI
; delays interrupts until after the next instruction (SDM Vol. 2B, STI), so
; an IRQ arriving after the check wakes the HLT instead of slipping in
; before it: the race-free "sti; hlt" idiom. An idle guest thus sits in HLT.
serial_getc:
    push ebx
.check:
    cli
    movzx ebx, byte [rx_tail]
    cmp bl, [rx_head]
    jne .take
    sti
    hlt
    jmp .check
.take:
    movzx eax, byte [rx_ring + ebx]
    inc bl
    mov [rx_tail], bl
    sti
    pop ebx
    ret

section .bss
rx_ring:    resb 256
rx_head:    resb 1              ; next free slot; written by serial_irq only
rx_tail:    resb 1              ; next unread byte; written by serial_getc only
alignb 4
rx_dropped: resd 1              ; bytes lost to a full ring
