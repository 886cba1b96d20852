// QEMU's `-initrd "file1 arg arg,file2"` for multiboot kernels: each comma-separated item
// is one module; the item (path plus arguments) is the module's string in the MBI and the
// text up to the first space is the file to load (hw/i386/multiboot.c: "if a space comes
// after the module filename, treat everything after that as parameters"). Items are split
// by QEMU's get_opt_value (util/qemu-option.c), where ",," stands for a literal comma.

export interface InitrdItem {
  /** The file to read: the item up to its first space. */
  readonly path: string;
  /** The whole item, the module's string in the Multiboot information. */
  readonly string: string;
}

export function splitInitrdList(option: string): InitrdItem[] {
  const items: InitrdItem[] = [];
  let cur = '';
  for (let i = 0; i < option.length; i++) {
    const ch = option[i]!;
    if (ch !== ',') {
      cur += ch;
    } else if (option[i + 1] === ',') {
      cur += ',';
      i++;
    } else {
      items.push(item(cur));
      cur = '';
    }
  }
  items.push(item(cur));
  return items;
}

/** The inverse of splitInitrdList: the option text QEMU would have been given. */
export function joinInitrdList(strings: readonly string[]): string {
  return strings.map((s) => s.replaceAll(',', ',,')).join(',');
}

function item(s: string): InitrdItem {
  const space = s.indexOf(' ');
  return { path: space < 0 ? s : s.slice(0, space), string: s };
}
