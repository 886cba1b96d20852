// System instructions (placeholder until the system family lands).
import type { BlockContext } from '../context.ts';
import { InternalError, ExitSignal } from '../../core/cpu/faults.ts';
import { ExitReason } from '../../core/kvm/exit-reason.ts';

type Emit = (ctx: BlockContext) => void;

export function movControl(ctx: BlockContext): void {
  const d = ctx.delta;
  ctx.callHelper(() => {
    throw new InternalError('MOV CR/DR is not implemented yet', d);
  });
}

const hlt: Emit = (ctx) => {
  const fb = ctx.fb;
  const next = ctx.i64();
  ctx.nextRip();
  fb.set(next);
  ctx.storeField('rip', next);
  ctx.callHelper(() => {
    throw new ExitSignal(ExitReason.HLT);
  });
  ctx.ended = true;
};

export const systemEmitters: Record<string, Emit> = { hlt };
