// The VMM's devices. Each takes offsets from its `PortIoBus` registration, never ports.
export { Uart16550, COM1 } from './uart16550.ts';
export type { Uart16550State, Uart16550StateError, Uart16550FromState } from './uart16550.ts';
export { Pic8259Pair, PIC8259_PORTS } from './pic8259.ts';
export type { Pic8259State, I8259State, Pic8259StateError, Pic8259FromState } from './pic8259.ts';
export { DebugExit, DEBUG_EXIT_IOBASE } from './debug-exit.ts';
export { Port80, PORT80_IOBASE } from './port80.ts';
export type { Port80State, Port80StateError, Port80FromState } from './port80.ts';
export { VirtualClock } from '../../kvm/clock.ts';
export type { Clock, TimerHandle, TimerQueue } from '../../kvm/clock.ts';
export {
  Pit8254,
  PIT8254_IOBASE,
  PIT8254_PORTS,
  PIT8254_IRQ,
  PIT_CLOCK_HZ,
  pitTicksAt,
  pitTickTimeNs,
} from './pit8254.ts';
export type { Pit8254State, Pit8254CounterState, Pit8254StateError, Pit8254FromState } from './pit8254.ts';
export { Port61, PORT61_IOBASE } from './port61.ts';
export type { Port61State, Port61StateError, Port61FromState, Counter2Pins } from './port61.ts';
export { RtcCmos, RTC_IOBASE, RTC_PORTS, RTC_IRQ, CMOS_CENTURY, pcCmosMemoryBytes } from './rtc-cmos.ts';
export type { RtcCmosOptions, RtcCmosState, RtcCmosStateError, RtcCmosFromState } from './rtc-cmos.ts';
export { I8042, I8042_DATA_PORT, I8042_COMMAND_PORT, I8042_KBD_IRQ, I8042_AUX_IRQ } from './i8042.ts';
export type { I8042Callbacks, I8042State, I8042StateError, I8042FromState } from './i8042.ts';
