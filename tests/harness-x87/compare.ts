// What of an x87 outcome a comparison with the host covers: everything the native runner
// recorded, except fields the host's environment defines rather than the CPU.
import type { X87Case, X87Outcome } from './format.ts';

/** FSW.ES (SDM Vol. 1 8.1.3). */
const ES = 0x80;

/** The outcome as a string with the fields a case does not define masked. */
export function comparable(c: X87Case, s: X87Outcome): string {
  let m = s.m;
  // FCS and FDS: bytes 8 and 12 of the 16-bit layout, 16 and 24 of the 32-bit one (SDM Vol. 1
  // Figures 8-9, 8-11); the host's are user-mode selectors.
  const selectors = c.asm.includes('o16') ? [8, 12] : [16, 24];
  if (c.asm.includes('fnstenv')) for (const b of selectors) m = m.slice(0, 2 * b) + '----' + m.slice(2 * b + 4);
  let ptr: unknown = s.ptr;
  // A 64-bit kernel does not carry FOP into the signal frame of a 32-bit process (Linux
  // arch/x86/kernel/fpu/regset.c, convert_from_fxsr()), so after #MF in 32-bit mode it is not compared.
  if (c.o.trap !== undefined && c.o.fx === undefined) ptr = { ip: s.ptr.ip, dp: s.ptr.dp };
  // AMD's FXSAVE stores zero pointers while no exception is pending (ES = 0; AMD APM Vol. 5
  // FXSAVE); the CPU we present is GenuineIntel, so the FXSAVE64 pointers count only with ES set.
  const fx = s.fx !== undefined && parseInt(c.o.sw, 16) & ES ? s.fx : undefined;
  return JSON.stringify({ cw: s.cw, sw: s.sw, tw: s.tw, st: s.st, m, a: s.a, f: s.f, trap: s.trap, ptr, fx });
}
