// Segment register loads: MOV Sreg, POP Sreg, LDS/LES/LFS/LGS/LSS (SDM Vol. 2A/2B).
import type { BlockContext } from '../context.ts';
import { InternalError } from '../../core/cpu/faults.ts';

type Emit = (ctx: BlockContext) => void;

export function movSegment(ctx: BlockContext): void {
  const d = ctx.delta;
  ctx.callHelper(() => {
    throw new InternalError('MOV Sreg is not implemented yet', d);
  });
}

export function popSegment(ctx: BlockContext): void {
  movSegment(ctx);
}

export const segmentEmitters: Record<string, Emit> = {};
