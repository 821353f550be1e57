// The jsonl sink: each notification as one line of protobuf JSON (the
// canonical mapping of proto/kubeherald/v1), to stdout or appended to a file,
// for other tools to tail, grep or ship.

import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { toJsonString } from '@bufbuild/protobuf';
import { type Notification, NotificationSchema } from '../../model/notification.ts';
import { closedError, type Sink, type SinkDeps, SinkError, writeChunk } from '../types.ts';
import type { JsonlSinkConfig } from './config.ts';

export { type JsonlSinkConfig, jsonlSinkSchema } from './config.ts';

/** One line, without the newline. protobuf JSON never contains a raw newline, so each notification stays on its line. */
export function formatJsonlLine(n: Notification, opts: { includeRawObject: boolean }): string {
  const message = opts.includeRawObject || !n.rawObject ? n : { ...n, rawObject: undefined };
  return toJsonString(NotificationSchema, message);
}

// errors an operator has to fix (permissions, a file where a directory should
// be) before a retry can succeed; anything else (disk full, I/O) may pass
const PERMANENT_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'EISDIR', 'ENOTDIR', 'ENAMETOOLONG', 'ELOOP', 'EINVAL']);

function writeError(cfg: JsonlSinkConfig, target: string, err: unknown): SinkError {
  const code = (err as NodeJS.ErrnoException).code;
  return new SinkError(`jsonl sink "${cfg.name}": cannot write to ${target}: ${(err as Error).message}`, {
    kind: code && PERMANENT_CODES.has(code) ? 'permanent' : 'retryable',
    cause: err,
  });
}

export function createJsonlSink(cfg: JsonlSinkConfig, deps: SinkDeps = {}): Sink {
  const toStdout = cfg.path === '-';
  const target = toStdout ? 'stdout' : cfg.path;
  const stream = deps.stdout ?? process.stdout;
  let file: FileHandle | undefined;
  // one write at a time: a line is never interleaved with another, and close() waits for the last
  let tail: Promise<void> = Promise.resolve();
  let closed = false;

  const openFile = async (): Promise<FileHandle> => {
    if (!file) {
      await mkdir(dirname(cfg.path), { recursive: true }).catch((err: NodeJS.ErrnoException) => {
        // recursive mkdir says EEXIST when a file stands where a directory should: say what it means
        if (err.code !== 'EEXIST') throw err;
        throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${err.path ?? dirname(cfg.path)}'`), { code: 'ENOTDIR', cause: err });
      });
      file = await open(cfg.path, 'a', 0o640);
    }
    return file;
  };

  const appendToFile = async (data: Buffer): Promise<void> => {
    const fh = await openFile();
    try {
      let offset = 0;
      while (offset < data.length) offset += (await fh.write(data, offset)).bytesWritten;
    } catch (err) {
      // reopen on the next send: the file may have been removed or its disk replaced
      file = undefined;
      await fh.close().catch(() => undefined);
      throw err;
    }
  };

  return {
    name: cfg.name,
    type: 'jsonl',
    send(n) {
      if (closed) return Promise.reject(closedError('jsonl', cfg.name));
      const line = `${formatJsonlLine(n, cfg)}\n`;
      const sent = tail
        .then(() => (toStdout ? writeChunk(stream, line) : appendToFile(Buffer.from(line))))
        .catch((err: unknown) => {
          throw writeError(cfg, target, err);
        });
      tail = sent.catch(() => undefined);
      return sent;
    },
    async close() {
      closed = true;
      await tail;
      const fh = file;
      file = undefined;
      if (!fh) return;
      try {
        await fh.datasync();
      } catch (err) {
        // character devices and pipes (path: /dev/stderr) cannot be synced, and need not be
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL' && (err as NodeJS.ErrnoException).code !== 'ENOTSUP') {
          await fh.close().catch(() => undefined);
          throw writeError(cfg, target, err);
        }
      }
      await fh.close();
    },
  };
}
