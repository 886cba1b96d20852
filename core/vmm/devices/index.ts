// The VMM's devices. Each takes offsets from its `PortIoBus` registration, never ports.
export { Uart16550, COM1 } from './uart16550.ts';
export type { Uart16550State, Uart16550StateError, Uart16550FromState } from './uart16550.ts';
export { Pic8259Pair, PIC8259_PORTS } from './pic8259.ts';
export type { Pic8259State, I8259State, Pic8259StateError, Pic8259FromState } from './pic8259.ts';
export { DebugExit, DEBUG_EXIT_IOBASE } from './debug-exit.ts';
export { Port80, PORT80_IOBASE } from './port80.ts';
export type { Port80State, Port80StateError, Port80FromState } from './port80.ts';
