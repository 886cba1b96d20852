// Faults during event delivery: the double-fault and triple-fault rules (SDM Vol. 3A 6.15,
// "Interrupt 8—Double Fault Exception", Table 6-5). A fault while delivering #DF shuts the
// processor down; KVM reports that as KVM_EXIT_SHUTDOWN.
import type { Cpu } from './cpu.ts';
import { GuestFault, exceptionClass, hasErrorCode } from './faults.ts';
import type { GuestEvent } from './interrupts.ts';
import { Vector } from './registers.ts';

export function handleDoubleFault(cpu: Cpu, fault: GuestFault, deliver: (ev: GuestEvent) => void): 'delivered' | 'shutdown' {
  let first: GuestFault = fault;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const errorCode = hasErrorCode(first.vector) ? (first.errorCode ?? 0) : undefined;
      deliver({ vector: first.vector, kind: 'exception', errorCode });
      return 'delivered';
    } catch (e) {
      if (!(e instanceof GuestFault)) throw e;
      if (e.vector === Vector.PF && e.cr2 !== undefined) cpu.state.setNum('cr2', e.cr2);
      if (first.vector === Vector.DF) return 'shutdown';
      const a = exceptionClass(first.vector);
      const b = exceptionClass(e.vector);
      const double = (a === 'contributory' && b === 'contributory') || (a === 'pagefault' && b !== 'benign');
      first = double ? new GuestFault(Vector.DF, 0) : e;
    }
  }
  return 'shutdown';
}
