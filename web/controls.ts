// Start, Stop and Reset, enabled according to what the machine is doing.
import type { SessionState } from './session.ts';

export interface ControlsElements {
  start: HTMLButtonElement;
  stop: HTMLButtonElement;
  reset: HTMLButtonElement;
}

export interface ControlActions {
  start(): void;
  stop(): void;
  reset(): void;
}

export class Controls {
  private disabledReason: string | undefined;

  constructor(
    private readonly el: ControlsElements,
    actions: ControlActions,
  ) {
    el.start.addEventListener('click', () => actions.start());
    el.stop.addEventListener('click', () => actions.stop());
    el.reset.addEventListener('click', () => actions.reset());
  }

  /** Turns every control off for good (e.g. no SharedArrayBuffer), saying why in a tooltip. */
  disable(reason: string): void {
    this.disabledReason = reason;
    for (const b of [this.el.start, this.el.stop, this.el.reset]) {
      b.disabled = true;
      b.title = reason;
    }
  }

  update(state: SessionState): void {
    if (this.disabledReason) return;
    this.el.start.disabled = state === 'booting' || state === 'running';
    this.el.stop.disabled = state !== 'running';
    this.el.reset.disabled = state === 'booting';
    this.el.start.textContent = state === 'stopped' ? 'Resume' : 'Start';
  }
}
