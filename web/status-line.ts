// The status line: what runs now and, when a run ends, what happened and where. Its
// data-state (booting, running, stopped, exited, error) drives the colour and the tests.
import type { MachineResult } from '../core/vmm/machine.ts';
import type { BootImage, SessionEvent } from './session.ts';

export type StatusState = 'idle' | 'booting' | 'running' | 'stopped' | 'exited' | 'error';

export interface Status {
  state: StatusState;
  text: string;
}

const MiB = 1024 * 1024;

/** "demo shell (demo.elf)", or just "tiny.elf" for a user's file. */
export function imageTitle(image: BootImage): string {
  return image.label === image.name ? image.name : `${image.label} (${image.name})`;
}

function what(image: BootImage): string {
  const cmdline = image.append ? `, cmdline "${image.append}"` : '';
  return `${imageTitle(image)}, ${image.memBytes / MiB} MiB${cmdline}`;
}

/** KVM_SYSTEM_EVENT_* (include/uapi/linux/kvm.h). */
const SYSTEM_EVENTS: Record<number, string> = {
  1: 'powered off (KVM_SYSTEM_EVENT_SHUTDOWN)',
  2: 'asked for a reset (KVM_SYSTEM_EVENT_RESET)',
  3: 'crashed (KVM_SYSTEM_EVENT_CRASH)',
};

export function describeResult(r: MachineResult): Status {
  switch (r.kind) {
    case 'debug-exit':
      return { state: 'exited', text: `guest exited with status ${r.status} (isa-debug-exit)` };
    case 'system-event':
      return { state: 'exited', text: `guest ${SYSTEM_EVENTS[r.type] ?? `sent system event ${r.type}`}` };
    case 'stopped':
      return { state: 'stopped', text: 'stopped: Start resumes, Reset boots afresh' };
    case 'shutdown':
      return { state: 'error', text: `triple fault (KVM_EXIT_SHUTDOWN): ${r.detail}` };
    case 'internal-error':
      return { state: 'error', text: `internal error (KVM_EXIT_INTERNAL_ERROR): ${r.detail}` };
    case 'worker-died':
      return {
        state: 'error',
        text: r.detail.startsWith('vCPU worker') ? r.detail : `vCPU worker died: ${r.detail}`,
      };
  }
}

export function describeEvent(e: SessionEvent): Status {
  switch (e.kind) {
    case 'booting':
      return { state: 'booting', text: `booting ${what(e.image)}…` };
    case 'boot-failed': {
      // Loader errors already start with the file name.
      const error = e.error.startsWith(`${e.image.name}: `)
        ? e.error.slice(e.image.name.length + 2)
        : e.error;
      return { state: 'error', text: `cannot boot ${e.image.name}: ${error}` };
    }
    case 'running':
      return {
        state: 'running',
        text: `${e.resumed ? 'resumed' : 'running'} ${what(e.image)}; console on COM1`,
      };
    case 'ended': {
      const s = describeResult(e.result);
      return { state: s.state, text: `${e.image.label}: ${s.text}` };
    }
  }
}

export class StatusLine {
  constructor(private readonly el: HTMLElement) {}

  show(s: Status): void {
    this.el.dataset.state = s.state;
    this.el.textContent = s.text;
  }
}
