// The part of fs-native-extensions Ringbill uses (the package ships no types): advisory locks on an open
// file descriptor, OFD locks (fcntl F_OFD_SETLK) on Linux, flock on macOS, LockFileEx on Windows.
declare module 'fs-native-extensions' {
  /** Takes the lock if no other open file description holds it; false when another does. */
  export function tryLock(
    fd: number,
    offset?: number,
    length?: number,
    options?: { shared?: boolean },
  ): boolean;
  export function unlock(fd: number, offset?: number, length?: number): void;
}
