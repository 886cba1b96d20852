// (family file: filled by its owner; registered in jit/emitters.ts)
import type { BlockContext } from '../context.ts';

type Emit = (ctx: BlockContext) => void;

export const stringEmitters: Record<string, Emit> = {};
