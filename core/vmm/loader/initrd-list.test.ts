import { describe, expect, it } from 'vitest';
import { joinInitrdList, splitInitrdList } from './initrd-list.ts';
import { encodeUtf8 } from './utf8.ts';

describe('splitInitrdList (QEMU -initrd for multiboot)', () => {
  it('splits on commas; the path is the text before the first space', () => {
    expect(splitInitrdList('mod1.bin arg1 arg2,mod2.bin')).toEqual([
      { path: 'mod1.bin', string: 'mod1.bin arg1 arg2' },
      { path: 'mod2.bin', string: 'mod2.bin' },
    ]);
  });

  it('reads ",," as a literal comma (get_opt_value), as in the QEMU recording', () => {
    expect(splitInitrdList('mod2.bin a,,b').map((i) => i.string)).toEqual(['mod2.bin a,b']);
    expect(splitInitrdList('a,,,b').map((i) => i.string)).toEqual(['a,', 'b']);
  });

  it('keeps empty items, which QEMU then fails to open', () => {
    expect(splitInitrdList('a,').map((i) => i.path)).toEqual(['a', '']);
  });

  it('joinInitrdList is its inverse', () => {
    for (const list of [['a'], ['a b,c', 'd'], [',', ''], ['x,', 'y ,z']]) {
      expect(splitInitrdList(joinInitrdList(list)).map((i) => i.string)).toEqual(list);
    }
    expect(joinInitrdList(['mod1.bin arg1 arg2', 'mod2.bin a,b'])).toBe('mod1.bin arg1 arg2,mod2.bin a,,b');
  });
});

describe('encodeUtf8', () => {
  it('encodes 1- to 4-byte sequences and replaces lone surrogates', () => {
    expect(Array.from(encodeUtf8('A\u00e9\u20ac\u{1f600}'))).toEqual([
      0x41, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80,
    ]);
    expect(Array.from(encodeUtf8('\ud800x'))).toEqual([0xef, 0xbf, 0xbd, 0x78]);
  });
});
