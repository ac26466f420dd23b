/**
 * I/O errors that the user, not the code, must fix: a full disk, a read-only mount, a missing permission, a failing
 * device. Each becomes one line that names the path and what to do, in place of Node's stack trace.
 */

const KINDS: Record<string, { what: string; todo: string }> = {
  ENOSPC: {
    what: 'no space left on the device',
    todo: 'free space on that file system (or point --store at a bigger one), then run the command again',
  },
  EDQUOT: { what: 'disk quota exceeded', todo: 'free space within your quota, then run the command again' },
  EROFS: {
    what: 'the file system is read-only',
    todo: 'remount it read-write or use a writable copy, then run the command again',
  },
  EACCES: {
    what: 'permission denied',
    todo: 'check the owner and mode of the path and of its directories (ls -ld), then run the command again',
  },
  EPERM: {
    what: 'operation not permitted',
    todo: 'check the owner, mode and attributes of the path (ls -ld, lsattr), then run the command again',
  },
  EIO: {
    what: 'the device reported an I/O error',
    todo: 'check the disk (dmesg); what the store committed before stays valid, rerun once the device is sound',
  },
};

/** An I/O error of one of the kinds above, already worded for the user. */
export class IOError extends Error {
  constructor(
    readonly code: string,
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** Whether `error` is an I/O error the user must fix (as opposed to a bug or bad input). */
export function isIOError(error: unknown): boolean {
  return error instanceof IOError || isErrno(error);
}

/** A raw Node error of those kinds, not yet worded. */
function isErrno(error: unknown): error is NodeJS.ErrnoException & { code: string } {
  return (
    error instanceof Error &&
    !(error instanceof IOError) &&
    typeof (error as NodeJS.ErrnoException).code === 'string' &&
    (error as NodeJS.ErrnoException).code! in KINDS
  );
}

/**
 * The error as an IOError naming `path` (default: the path Node attached, which writes to a file descriptor lack),
 * or the error unchanged when it is not an I/O error of those kinds or is one already.
 */
export function asIOError(error: unknown, path?: string): unknown {
  if (!isErrno(error)) return error;
  const code = error.code;
  const where = path ?? error.path ?? '(unknown path)';
  const during = error.syscall ? `, ${error.syscall}` : '';
  return new IOError(code, where, `${where}: ${KINDS[code].what} (${code}${during}); ${KINDS[code].todo}`);
}

/** Ends a command whose error reached the top level: that one line on stderr, exit code 1. */
export function exitWithError(error: unknown): never {
  console.error(`error: ${errorLine(error)}`);
  process.exit(1);
}

/** The one line a command prints for an error that reaches the top level. */
export function errorLine(error: unknown): string {
  const described = asIOError(error);
  return described instanceof Error ? described.message : String(described);
}
