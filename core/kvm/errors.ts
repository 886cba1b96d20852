// Errors of the KVM API calls, named after the errno the matching ioctl returns. These are
// VMM programming errors (a bad argument), never guest behaviour.
export type Errno = 'EINVAL' | 'EEXIST' | 'ENOMEM' | 'EFAULT' | 'E2BIG' | 'EIO' | 'ENXIO' | 'ENOENT';

export class KvmError extends Error {
  constructor(
    readonly errno: Errno,
    message: string,
  ) {
    super(`${errno}: ${message}`);
  }
}
