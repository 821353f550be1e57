// Watching the config file for edits. The directory is watched, not the
// file: an editor's rename or a ConfigMap's ..data swap replaces the file.
// An edit is several events: they are gathered until quiet, but never more
// than MAX_WAIT_MS after the first, and only a changed text calls onChange.

import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from '../model/logger.ts';

const MAX_WAIT_MS = 200;

export interface ConfigFileWatch {
  close(): void;
}

export interface ConfigFileWatchOptions {
  file: string;
  /** file events are gathered for this long, at most 200 ms after the first (default 100) */
  debounceMs?: number;
  log: Logger;
  /** the file's text changed */
  onChange: () => Promise<unknown>;
}

export async function watchConfigFile(o: ConfigFileWatchOptions): Promise<ConfigFileWatch> {
  const path = resolve(o.file);
  let lastText = await readFile(path, 'utf8').catch(() => undefined);
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let firstEventAt = 0;

  const changed = async (): Promise<void> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      // mid-replace, or removed: a later event brings the new file; until then the current config stays
      o.log.warn({ file: o.file, err: (err as NodeJS.ErrnoException).code ?? (err as Error).message }, 'config file unreadable; keeping the current config');
      return;
    }
    if (text === lastText || closed) return;
    lastText = text;
    await o.onChange();
  };

  const onEvent = (): void => {
    if (closed) return;
    const now = Date.now();
    if (!timer) firstEventAt = now;
    else clearTimeout(timer);
    const wait = Math.max(0, Math.min(o.debounceMs ?? 100, firstEventAt + MAX_WAIT_MS - now));
    timer = setTimeout(() => {
      timer = undefined;
      void changed();
    }, wait);
  };

  const watcher: FSWatcher = watch(dirname(path), { persistent: false }, (_event, name) => {
    // ConfigMap mounts change ..data, not the file's own name; other names are other files
    if (name && name !== basename(path) && !name.startsWith('..')) return;
    onEvent();
  });
  watcher.on('error', (err) => o.log.warn({ file: o.file, err: err.message }, 'config file watch failed; edits need a restart'));
  return {
    close() {
      closed = true;
      watcher.close();
      if (timer) clearTimeout(timer);
    },
  };
}
