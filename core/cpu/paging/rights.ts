// Access rights of a translated page (SDM Vol. 3A 4.6) and the #PF error code (4.7).
import { Access, PfErr, type Walk } from './entry.ts';

/** The control bits the rights depend on, read once per translation. */
export interface RightsContext {
  /** CR0.WP: supervisor writes honour R/W. */
  wp: boolean;
  /** CR4.SMEP: no supervisor fetches from user-mode pages. */
  smep: boolean;
  /** CR4.SMAP: no supervisor data accesses to user-mode pages, unless explicit with EFLAGS.AC = 1. */
  smap: boolean;
  /** EFLAGS.AC. */
  ac: boolean;
  /** EFER.NXE with a 64-bit-entry paging mode: XD disables fetches. */
  nx: boolean;
}

/**
 * Whether the access may proceed (SDM Vol. 3A 4.6.1). `user` is an explicit access at CPL 3;
 * an implicit supervisor-mode access (descriptor tables, TSS, at any CPL) is never allowed
 * to a user-mode page under SMAP, whatever EFLAGS.AC says.
 */
export function accessAllowed(w: Walk, access: Access, user: boolean, implicit: boolean, c: RightsContext): boolean {
  if (access === Access.Fetch) {
    if (c.nx && w.noExec) return false;
    return user ? w.user : !(w.user && c.smep);
  }
  if (user) return w.user && (access === Access.Read || w.writable);
  if (w.user && c.smap && (implicit || !c.ac)) return false;
  return access === Access.Read || w.writable || !c.wp;
}

/**
 * The #PF error code (SDM Vol. 3A 4.7): `cause` is 0 (not present), P (rights) or P | RSVD;
 * W/R for writes, U/S for user-mode accesses, I/D for fetches when SMEP is on or XD is in
 * force (CR4.PAE and EFER.NXE).
 */
export function pageFaultCode(cause: number, access: Access, user: boolean, smep: boolean, nx: boolean): number {
  let code = cause;
  if (access === Access.Write) code |= PfErr.W;
  if (user) code |= PfErr.U;
  if (access === Access.Fetch && (smep || nx)) code |= PfErr.I;
  return code;
}

/**
 * What protection key `key` allows for data accesses under the rights register that governs
 * the page (SDM Vol. 3A 4.6.2): PKRU for user-mode pages with CR4.PKE, IA32_PKRS for
 * supervisor-mode pages with CR4.PKS; `register` is undefined when neither applies. AD
 * (bit 2 * key) forbids every data access; WD (bit 2 * key + 1) forbids user-mode writes,
 * and supervisor-mode writes when CR0.WP = 1. Instruction fetches are not affected.
 */
export function keyRights(key: number, register: number | undefined, user: boolean, wp: boolean): { read: boolean; write: boolean } {
  if (register === undefined) return { read: true, write: true };
  const ad = (register >>> (2 * key)) & 1;
  const wd = (register >>> (2 * key + 1)) & 1;
  if (ad) return { read: false, write: false };
  return { read: true, write: !wd || (!user && !wp) };
}
