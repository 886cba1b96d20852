; print.asm: the text output helpers of guests/lib/print.inc, on COM1.

%include "demo.inc"

extern serial_putc
%include "print.inc"
