// A raw disk image file as the virtio-blk backend (QEMU -drive format=raw): reads and
// writes go straight to the file with positioned synchronous I/O, flush is fsync.
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import type { BlockBackend } from '../core/vmm/virtio/blk.ts';

export interface FileDisk extends BlockBackend {
  close(): void;
}

/** Opens `path` read-write (read-only if that fails with EACCES/EROFS/EPERM); a string is the error. */
export function openDisk(path: string): FileDisk | string {
  let fd: number;
  let readOnly = false;
  try {
    fd = openSync(path, 'r+');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM')
      return `cannot open disk ${path}: ${code ?? (e as Error).message}`;
    try {
      fd = openSync(path, 'r');
      readOnly = true;
    } catch (e2) {
      return `cannot open disk ${path}: ${(e2 as NodeJS.ErrnoException).code ?? (e2 as Error).message}`;
    }
  }
  const size = fstatSync(fd).size;
  return {
    size,
    readOnly,
    read(offset, len) {
      const buf = new Uint8Array(len);
      try {
        return readSync(fd, buf, 0, len, offset) === len ? buf : undefined;
      } catch {
        return undefined;
      }
    },
    write(offset, bytes) {
      try {
        return writeSync(fd, bytes, 0, bytes.length, offset) === bytes.length;
      } catch {
        return false;
      }
    },
    flush() {
      try {
        fsyncSync(fd);
        return true;
      } catch {
        return false;
      }
    },
    close() {
      closeSync(fd);
    },
  };
}
