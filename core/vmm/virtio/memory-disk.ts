// A raw disk image held in memory as the virtio-blk backend: the page's "disk…" picker
// reads the user's file into it. Writes change the copy, never the user's file.
import type { BlockBackend } from './blk.ts';

export function memoryDisk(bytes: Uint8Array, readOnly = false): BlockBackend {
  return {
    size: bytes.length,
    readOnly,
    read(offset, len) {
      if (offset < 0 || offset + len > bytes.length) return undefined;
      return bytes.slice(offset, offset + len);
    },
    write(offset, data) {
      if (readOnly || offset < 0 || offset + data.length > bytes.length) return false;
      bytes.set(data, offset);
      return true;
    },
  };
}
