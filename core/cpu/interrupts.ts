// Event delivery: exceptions, external interrupts and software interrupts through the IVT
// (real mode) or the IDT (protected mode), SDM Vol. 3A chapter 6.
//
// Convention: when deliverEvent is called, RIP in the state is the address to push — the
// faulting instruction for faults, the next instruction for traps and INT n.
import type { Cpu } from './cpu.ts';
import { ExitSignal, InternalError } from './faults.ts';
import { ExitReason } from '../kvm/exit-reason.ts';
import { Cr0, Flag, Seg } from './registers.ts';

export type EventKind = 'exception' | 'external' | 'nmi' | 'software' | 'software-exception';

export interface GuestEvent {
  vector: number;
  kind: EventKind;
  errorCode?: number;
}

export function deliverEvent(cpu: Cpu, ev: GuestEvent): void {
  const s = cpu.state;
  if (s.getLo('cr0') & Cr0.PE) throw new InternalError(`protected-mode event delivery (vector ${ev.vector}) is not implemented yet`);
  // Real mode (SDM Vol. 3A 20.1.4): push FLAGS, CS, IP; clear IF, TF, AC; load CS:IP from the IVT.
  const idtBase = s.getNum('idtrBase');
  if (ev.vector * 4 + 3 > s.getU32('idtrLimit')) throw new ExitSignal(ExitReason.SHUTDOWN);
  const ip = cpu.read(idtBase + ev.vector * 4, 2);
  const cs = cpu.read(idtBase + ev.vector * 4 + 2, 2);
  const ssBase = s.getNum('segBase', Seg.SS);
  let sp = s.getLo('gpr', 4) & 0xffff;
  const push = (v: number): void => {
    sp = (sp - 2) & 0xffff;
    cpu.write(ssBase + sp, 2, v);
  };
  const flags = s.getLo('rflags');
  push(flags & 0xffff);
  push(s.getU32('segSel', Seg.CS));
  push(s.getLo('rip') & 0xffff);
  s.setLo('gpr', (s.getLo('gpr', 4) & 0xffff0000) | sp, 4);
  s.setLo('rflags', flags & ~(Flag.IF | Flag.TF | Flag.AC | Flag.RF));
  s.setU32('segSel', cs, Seg.CS);
  s.setNum('segBase', cs * 16, Seg.CS);
  s.setLo('rip', ip);
}
