/**
 * `gitlab-bridge backup` and `restore`: see COMMANDS in commands.ts. The file
 * format and the database work are in store/backup.ts; this is the files,
 * the database connection and what the operator reads.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { loadConfig, type LogLevel } from '../config.js';
import { KEY_ID_SETTING } from '../crypto/encryption-key.js';
import { BridgeError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { exportBackup, importBackup, openBackup, type OpenedBackup } from '../store/backup.js';
import { openDatabase } from '../store/database.js';
import { loadMigrations, migrate } from '../store/migrate.js';
import { readSetting } from '../store/settings.js';
import { VERSION } from '../version.js';
import type { Invocation } from './main.js';

export async function runBackup({ positionals, io }: Invocation): Promise<number> {
  const file = fileArgument('backup', positionals);
  const toStdout = file === '-';
  // With `-`, stdout carries the backup itself: logs and the summary go to stderr.
  const say = (text: string): void => (toStdout ? io.err(text) : io.out(text));
  const config = loadConfig();
  const log = quietLogger(config.logLevel, toStdout);
  const target = toStdout ? { output: process.stdout, commit: async () => undefined, discard: async () => undefined } : await createReplacingFile(file);
  try {
    const database = await openDatabase(config, log, { shareRunning: true });
    try {
      const header = await exportBackup(database.pool, target.output, { bridgeVersion: VERSION });
      await target.commit();
      const rows = header.tables.reduce((sum, table) => sum + table.rows, 0);
      say(`backed up ${rows} ${plural(rows, 'row')} from ${header.tables.length} tables (schema version ${header.schemaVersion}) to ${toStdout ? 'stdout' : file}`);
      for (const line of tableLines(header.tables.map((table) => ({ name: table.name, rows: table.rows, note: '' })))) say(line);
      const keyId = await readSetting<string>(database.pool, KEY_ID_SETTING);
      if (keyId) say(`the tokens in it stay sealed: keep the ENCRYPTION_KEY with key id ${keyId} (or DATA_DIR/encryption.key) with the backup`);
      return 0;
    } finally {
      await database.close();
    }
  } catch (error) {
    await target.discard();
    throw error;
  }
}

export async function runRestore({ values, positionals, io }: Invocation): Promise<number> {
  const file = fileArgument('restore', positionals);
  const config = loadConfig();
  const log = quietLogger(config.logLevel, false);
  const input = file === '-' ? process.stdin : await openForReading(file);
  let backup: OpenedBackup | undefined;
  try {
    // The header is checked before the database is touched: a wrong file changes nothing.
    backup = await openBackup(input, { source: file === '-' ? 'stdin' : file, newestSchemaVersion: loadMigrations().at(-1)?.version ?? 0 });
    const { header } = backup;
    // A running bridge is not waited for: it will not stop by itself, and restore must not race it.
    const database = await openDatabase(config, log, { waitForOwner: false });
    try {
      const migrated = await migrate(database.pool, log);
      if (migrated.applied.length > 0) io.out(`migrated ${database.label} to schema version ${migrated.version}`);
      const summary = await importBackup(database.pool, backup, { force: values.force === true });
      const restored = summary.tables.filter((table) => table.restored);
      io.out(
        `restored ${summary.rows} ${plural(summary.rows, 'row')} into ${restored.length} tables of ${database.label} from ${file === '-' ? 'stdin' : file}` +
          ` (written by gitlab-bridge ${header.bridgeVersion} at ${header.createdAt}, schema version ${header.schemaVersion})`,
      );
      const notes = summary.tables.map((table) => ({ ...table, note: table.restored ? '' : '  (skipped: this version has no such table)' }));
      for (const line of tableLines(notes)) io.out(line);
      if (summary.replaced.length > 0) io.out(`replaced the state that was there (rows in ${summary.replaced.join(', ')})`);
      const keyId = await readSetting<string>(database.pool, KEY_ID_SETTING);
      if (keyId) io.out(`start the bridge with the ENCRYPTION_KEY whose key id is ${keyId}: the restored tokens are sealed with it`);
      return 0;
    } finally {
      await database.close();
    }
  } finally {
    backup?.close();
    if (input !== process.stdin) input.destroy();
  }
}

function fileArgument(command: string, positionals: string[]): string {
  const file = positionals[0];
  if (!file) throw new BridgeError('usage', `${command}: missing <file> (try 'gitlab-bridge ${command} --help')`);
  return file;
}

/** Only warnings: the summary says what happened. On stderr when stdout carries the backup. */
function quietLogger(level: LogLevel, toStderr: boolean): Logger {
  return createLogger(level === 'info' ? 'warn' : level, toStderr ? process.stderr : undefined);
}

/**
 * Writes beside `file` and renames over it only once complete and on disk, so a
 * failed backup never leaves a file that looks whole (nor clobbers an older one).
 */
async function createReplacingFile(file: string): Promise<{ output: Writable; commit(): Promise<void>; discard(): Promise<void> }> {
  // Refused now rather than at the rename, after the whole backup was read.
  if ((await stat(file).catch(() => undefined))?.isDirectory()) throw fileError('write', file, Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
  const partial = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.partial`);
  // 0600: the backup holds sealed tokens and token hashes. flush: fsync before close, so the rename publishes data on disk.
  const output = createWriteStream(partial, { flags: 'wx', mode: 0o600, flush: true });
  await once(output, 'open').catch((error: unknown) => {
    throw fileError('write', file, error);
  });
  return {
    output,
    async commit() {
      output.end();
      await finished(output);
      await rename(partial, file).catch((error: unknown) => {
        throw fileError('write', file, error);
      });
    },
    async discard() {
      output.destroy();
      await finished(output).catch(() => undefined);
      await rm(partial, { force: true });
    },
  };
}

async function openForReading(file: string): Promise<Readable> {
  const handle = await open(file, 'r').catch((error: unknown) => {
    throw fileError('read', file, error);
  });
  if ((await handle.stat()).isDirectory()) {
    await handle.close();
    throw fileError('read', file, Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
  }
  return handle.createReadStream();
}

const FILE_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a parent is not a directory',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
};

function fileError(action: 'read' | 'write', file: string, error: unknown): BridgeError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return new BridgeError('backup_file_unusable', `cannot ${action} ${file}: ${FILE_PROBLEMS[code] ?? (error as Error).message}`, { cause: error });
}

function tableLines(tables: { name: string; rows: number; note: string }[]): string[] {
  const width = Math.max(0, ...tables.map((table) => table.name.length));
  return [...tables].sort((a, b) => a.name.localeCompare(b.name)).map((table) => `  ${table.name.padEnd(width)}  ${String(table.rows).padStart(6)}${table.note}`);
}

function plural(count: number, word: string): string {
  return count === 1 ? word : `${word}s`;
}
