// Reading the files a config names (the config itself, credentials, CAs)
// with a size cap, and only when they are regular files: /dev/zero, a FIFO
// or /dev/stdin would otherwise grow memory without end or block start-up
// forever. Part of the config kit: any folder may use it.

import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';

/** 1 MiB: far above any config, token or certificate chain. */
export const MAX_FILE_BYTES = 1024 * 1024;

export class FileReadError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.name = 'FileReadError';
    this.code = code;
  }
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

const bytes = (n: number): string => (n % (1024 * 1024) === 0 ? `${n / 1024 / 1024} MiB` : `${n} bytes`);

function check(st: Stats, maxBytes: number): void {
  if (!st.isFile()) throw new FileReadError(`is ${kindOf(st)}, not a regular file`, 'ENOTREG');
  if (st.size > maxBytes) throw new FileReadError(`is larger than ${bytes(maxBytes)}`, 'EFBIG');
}

/** Why a read failed, for a message: "no such file", "permission denied", "is a character device, not a regular file". */
export function fileErrorReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (err instanceof FileReadError) return err.message;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return (err as Error).message;
}

// O_NONBLOCK: opening a FIFO with no writer must not hang; fstat then refuses it
const FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** The file's text; throws FileReadError (ENOTREG, EFBIG) or the system's error. */
export function readRegularFileSync(path: string, maxBytes = MAX_FILE_BYTES): Buffer {
  const fd = openSync(path, FLAGS);
  try {
    check(fstatSync(fd), maxBytes);
    // the size can change under us (or be 0 in /proc): read at most one byte past the cap
    const buf = Buffer.alloc(Math.min(maxBytes + 1, 64 * 1024));
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw new FileReadError(`is larger than ${bytes(maxBytes)}`, 'EFBIG');
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    return Buffer.concat(chunks);
  } finally {
    closeSync(fd);
  }
}

/** readRegularFileSync, without blocking the event loop. */
export async function readRegularFile(path: string, maxBytes = MAX_FILE_BYTES): Promise<Buffer> {
  const fh = await open(path, FLAGS);
  try {
    check(await fh.stat(), maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    const buf = Buffer.alloc(Math.min(maxBytes + 1, 64 * 1024));
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw new FileReadError(`is larger than ${bytes(maxBytes)}`, 'EFBIG');
      chunks.push(Buffer.from(buf.subarray(0, bytesRead)));
    }
    return Buffer.concat(chunks);
  } finally {
    await fh.close();
  }
}

/** Whether a path names a regular file within the cap, without reading it (config validate); the reason when not. */
export function checkRegularFile(path: string, maxBytes = MAX_FILE_BYTES): string | undefined {
  try {
    const fd = openSync(path, FLAGS);
    try {
      check(fstatSync(fd), maxBytes);
    } finally {
      closeSync(fd);
    }
    return undefined;
  } catch (err) {
    return fileErrorReason(err);
  }
}
