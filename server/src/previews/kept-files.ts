/**
 * Files read for previews, kept for a while under a key the caller makes (one
 * person's read of one file: never shared between people). Bounded by count
 * and by weight: a file may be up to a megabyte (fetch-code.ts MAX_FILE_BYTES),
 * so a count alone would let a few thousand of them fill the memory. The oldest
 * go first; every entry lives equally long, so the expired ones are the oldest.
 */
import type { FileRead } from './fetch-code.js';

export interface KeptFilesOptions {
  ttlMs: number;
  maxEntries: number;
  /** Roughly what the kept text weighs in memory, in bytes (keptWeight). */
  maxBytes: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

export interface KeptFiles {
  get(key: string): FileRead | undefined;
  keep(key: string, read: FileRead): void;
}

/** A JavaScript string's UTF-16 text and, per line, about what V8 spends on a string besides it. */
export function keptWeight(read: FileRead): number {
  if (!read.ok) return 64;
  return read.file.lines.reduce((total, line) => total + line.length * 2 + 32, 256);
}

export function createKeptFiles(options: KeptFilesOptions): KeptFiles {
  const now = options.now ?? Date.now;
  const entries = new Map<string, { read: FileRead; expires: number; weight: number }>();
  let weight = 0;
  const drop = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    weight -= entry.weight;
  };
  const dropOldest = () => drop(entries.keys().next().value!);

  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expires > now()) return entry.read;
      drop(key);
      return undefined;
    },
    keep(key, read) {
      const at = now();
      const entryWeight = keptWeight(read);
      drop(key);
      for (const [oldest, entry] of entries) {
        if (entry.expires > at) break;
        drop(oldest);
      }
      if (entryWeight > options.maxBytes) return;
      while (entries.size > 0 && (entries.size >= options.maxEntries || weight + entryWeight > options.maxBytes)) dropOldest();
      entries.set(key, { read, expires: at + options.ttlMs, weight: entryWeight });
      weight += entryWeight;
    },
  };
}
