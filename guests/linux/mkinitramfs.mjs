#!/usr/bin/env node
// Packs a directory into a gzip-compressed initramfs: a cpio archive in the "newc" format
// the kernel unpacks (Documentation/driver-api/early-userspace/buffer-format.rst). Written
// here rather than with cpio(1) so the build needs no root for /dev/console and the output
// is reproducible (every mtime 0, entries sorted, owner root).
//
// usage: node mkinitramfs.mjs DIR OUT.img
import { readdirSync, lstatSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Buffer } from 'node:buffer';
import process from 'node:process';

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
/** /dev/console (major 5, minor 1): the kernel opens it for init's stdio before /init runs. */
const CONSOLE = { name: 'dev/console', mode: S_IFCHR | 0o600, rdevMajor: 5, rdevMinor: 1 };

const [dir, out] = process.argv.slice(2);
if (!dir || !out) {
  process.stderr.write('usage: node mkinitramfs.mjs DIR OUT.img\n');
  process.exit(2);
}

const chunks = [];
let offset = 0;
let ino = 1;
const push = (buf) => {
  chunks.push(buf);
  offset += buf.length;
};
const pad4 = () => {
  if (offset % 4) push(Buffer.alloc(4 - (offset % 4)));
};

/** One newc entry: "070701", thirteen 8-digit hex fields, the name, the data, each 4-aligned. */
function entry(name, mode, data = Buffer.alloc(0), rdevMajor = 0, rdevMinor = 0) {
  const fields = [ino++, mode, 0, 0, 1, 0, data.length, 0, 0, rdevMajor, rdevMinor, name.length + 1, 0];
  push(Buffer.from('070701' + fields.map((f) => f.toString(16).padStart(8, '0')).join(''), 'ascii'));
  push(Buffer.from(name + '\0', 'utf8'));
  pad4();
  push(data);
  pad4();
}

function walk(rel) {
  const names = readdirSync(join(dir, rel)).sort();
  for (const n of names) {
    const r = rel ? `${rel}/${n}` : n;
    const st = lstatSync(join(dir, r));
    const perm = st.mode & 0o7777;
    if (st.isDirectory()) {
      entry(r, S_IFDIR | perm);
      walk(r);
    } else if (st.isSymbolicLink()) entry(r, S_IFLNK | 0o777, Buffer.from(readlinkSync(join(dir, r))));
    else if (st.isFile()) entry(r, S_IFREG | perm, readFileSync(join(dir, r)));
  }
}

walk('');
entry(CONSOLE.name, CONSOLE.mode, undefined, CONSOLE.rdevMajor, CONSOLE.rdevMinor);
entry('TRAILER!!!', 0);
writeFileSync(out, gzipSync(Buffer.concat(chunks), { level: 9 }));
