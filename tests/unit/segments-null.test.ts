// A return to an outer privilege level nulls the data segment registers the new CPL may not
// use (SDM Vol. 2B IRET, RET: "SegmentSelector <- 0"): the selector only. The hidden base
// stays, so in 64-bit mode, where the FS and GS bases apply whatever the selector, a
// GS-relative access after IRETQ to ring 3 still uses the kernel-set GS base (as on Intel
// hardware under KVM: kvm-unit-tests emulator64 "Test ret/iret with a nullified segment").
import { describe, expect, it } from 'vitest';
import { SegAttr, Seg } from '../../core/cpu/registers.ts';
import { nullInaccessibleDataSegments } from '../../core/cpu/segments.ts';
import { KDATA, UDATA, loadSegment, longModeVm } from './long-mode-guest.ts';

describe('nulling data segments on a return to CPL 3', () => {
  it('clears the selector of a DPL 0 GS and makes it unusable, keeping its 64-bit base; a DPL 3 DS stays', () => {
    const vm = longModeVm(0x4000);
    const cpu = vm.vcpu.cpu;
    const s = cpu.state;
    loadSegment(vm, Seg.GS, KDATA);
    s.set64('segBase', 0xffff_8880_0040_0000n, Seg.GS);
    loadSegment(vm, Seg.DS, UDATA);
    nullInaccessibleDataSegments(cpu, 3);
    expect(s.getU32('segSel', Seg.GS)).toBe(0);
    expect(s.getU32('segAttr', Seg.GS) & SegAttr.UNUSABLE).toBe(SegAttr.UNUSABLE);
    expect(s.get64('segBase', Seg.GS)).toBe(0xffff_8880_0040_0000n);
    expect(s.getU32('segSel', Seg.DS)).toBe(UDATA);
  });
});
