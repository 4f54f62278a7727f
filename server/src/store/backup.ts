/**
 * The bridge's state as a versioned file that any PostgreSQL version reads back.
 * NDJSON: a header line (format, schema version, each table's columns and row
 * count), then per table a `{"table":…}` line followed by one row_to_json line
 * per row, then `{"end":true,"rows":N}`. Values of `json` columns are written as
 * strings holding their text: row_to_json would embed that text as it is, line
 * breaks included. Tables come from the catalog (transient ones left out), so tables added by later
 * migrations need no change here.
 */
import { createInterface } from 'node:readline';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { z } from 'zod';
import { BridgeError } from '../errors.js';
import { migrationStatus } from './migrate.js';

export const BACKUP_FORMAT = 'gitlab-bridge-backup';
export const BACKUP_FORMAT_VERSION = 1;

export interface BackupTable {
  name: string;
  columns: string[];
  /** Columns of type json, whose values are strings holding the json text. */
  jsonText: string[];
  rows: number;
  /** Each serial or identity column's last issued value (bigint as text), when its sequence was ever used. */
  sequences: Record<string, string>;
}

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  formatVersion: number;
  /** The highest migration applied to the database the backup was taken from. */
  schemaVersion: number;
  bridgeVersion: string;
  createdAt: string;
  /** For people reading the file; restore never depends on it. */
  postgresVersion: string;
  /** Parents before the tables whose foreign keys point at them: the order restore loads them in. */
  tables: BackupTable[];
}

export interface OpenedBackup {
  header: BackupHeader;
  /** Names the file in messages. */
  source: string;
  /** The lines after the header, read as the restore consumes them. */
  lines: AsyncIterator<string>;
  close(): void;
}

export interface RestoredTable {
  name: string;
  rows: number;
  /** False when this version has no such table any more, so its rows were skipped. */
  restored: boolean;
}

export interface RestoreSummary {
  tables: RestoredTable[];
  rows: number;
  /** Bridge tables that held rows before and were emptied (only with force). */
  replaced: string[];
}

/** Rows per cursor fetch and per insert: bounded memory whatever the table's size. */
const FETCH_ROWS = 250;
const INSERT_ROWS = 500;
const INSERT_BYTES = 4 * 1024 * 1024;

interface TableInfo {
  name: string;
  /** Schema-qualified and quoted, ready for SQL. */
  sql: string;
  columns: string[];
  /** Columns an INSERT may name (not generated ones). */
  insertable: string[];
  /** The json and jsonb columns, by type. */
  json: string[];
  jsonb: string[];
  notNullJson: string[];
  primaryKey: string[];
  parents: string[];
  sequences: { column: string; sequence: string }[];
}

/**
 * Tables whose rows only matter for minutes and never across a restore:
 * live_events are "refetch now" hints for open webapps (a client that
 * resumes after a restore is told to refetch everything instead).
 */
export const TRANSIENT_TABLES = ['live_events'];

/** Every table in the schema the migrations created, except their own bookkeeping and the transient ones. */
const TABLES_SQL = `
  WITH tables AS (
    SELECT c.oid, c.relname, format('%I.%I', n.nspname, c.relname) AS sql
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = to_regclass('schema_migrations'))
      AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> 'schema_migrations'
      AND c.relname <> ALL ('{${TRANSIENT_TABLES.join(',')}}'::text[])
  ), columns AS (
    SELECT a.attrelid, a.attnum, a.attname::text AS name, a.attgenerated, a.attnotnull, a.atttypid
    FROM pg_attribute a WHERE a.attrelid IN (SELECT oid FROM tables) AND a.attnum > 0 AND NOT a.attisdropped
  )
  SELECT t.relname::text AS name, t.sql,
    ARRAY(SELECT name FROM columns WHERE attrelid = t.oid ORDER BY attnum) AS columns,
    ARRAY(SELECT name FROM columns WHERE attrelid = t.oid AND attgenerated = '' ORDER BY attnum) AS insertable,
    ARRAY(SELECT name FROM columns WHERE attrelid = t.oid AND atttypid = 'json'::regtype) AS json,
    ARRAY(SELECT name FROM columns WHERE attrelid = t.oid AND atttypid = 'jsonb'::regtype) AS jsonb,
    ARRAY(SELECT name FROM columns WHERE attrelid = t.oid AND attnotnull AND atttypid IN ('json'::regtype, 'jsonb'::regtype)) AS "notNullJson",
    ARRAY(SELECT c.name FROM pg_index i JOIN columns c ON c.attrelid = i.indrelid AND c.attnum = ANY (i.indkey)
          WHERE i.indrelid = t.oid AND i.indisprimary ORDER BY array_position(i.indkey::int2[], c.attnum)) AS "primaryKey",
    ARRAY(SELECT DISTINCT p.relname::text FROM pg_constraint f JOIN pg_class p ON p.oid = f.confrelid
          WHERE f.conrelid = t.oid AND f.contype = 'f' AND f.confrelid <> t.oid) AS parents,
    -- The sequence each serial ('a': OWNED BY) or identity ('i') column draws from.
    (SELECT coalesce(json_agg(json_build_object('column', c.name, 'sequence', format('%I.%I', sn.nspname, s.relname))), '[]')
     FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' JOIN pg_namespace sn ON sn.oid = s.relnamespace
       JOIN columns c ON c.attrelid = d.refobjid AND c.attnum = d.refobjsubid
     WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid = t.oid AND d.deptype IN ('a', 'i')) AS sequences
  FROM tables t ORDER BY t.relname`;

const quote = (name: string): string => pg.escapeIdentifier(name);

async function listTables(client: pg.PoolClient): Promise<TableInfo[]> {
  return (await client.query<TableInfo>(TABLES_SQL)).rows;
}

/** Parents first, so foreign keys hold at every insert (a cycle is broken arbitrarily). */
function parentsFirst(tables: TableInfo[]): TableInfo[] {
  const byName = new Map(tables.map((table) => [table.name, table]));
  const ordered: TableInfo[] = [];
  const seen = new Set<string>();
  const visit = (table: TableInfo): void => {
    if (seen.has(table.name)) return;
    seen.add(table.name);
    for (const parent of table.parents) {
      const found = byName.get(parent);
      if (found) visit(found);
    }
    ordered.push(table);
  };
  tables.forEach(visit);
  return ordered;
}

/** The highest migration applied, or null when the database was never migrated. */
async function schemaVersionOf(client: pg.PoolClient): Promise<number | null> {
  const { applied } = await migrationStatus(client);
  return applied.length === 0 ? null : Math.max(...applied.map((migration) => migration.version));
}

/**
 * Writes the backup to `output` (which the caller ends) from one snapshot. The
 * transaction is READ ONLY and takes no lock a running bridge waits on.
 */
export async function exportBackup(pool: pg.Pool, output: Writable, meta: { bridgeVersion: string; now?: Date }): Promise<BackupHeader> {
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    // Text forms every server reads back the same: hex bytea, UTC offsets, the default interval style.
    await client.query("SET LOCAL bytea_output = 'hex'; SET LOCAL TimeZone = 'UTC'; SET LOCAL IntervalStyle = 'postgres'");
    const schemaVersion = await schemaVersionOf(client);
    if (schemaVersion === null) {
      throw new BridgeError('database_not_migrated', 'the database holds no gitlab-bridge state to back up (it was never migrated)', {
        hint: 'check DATABASE_URL (or DATA_DIR for the embedded database)',
      });
    }
    const tables = parentsFirst(await listTables(client));
    const header: BackupHeader = {
      format: BACKUP_FORMAT,
      formatVersion: BACKUP_FORMAT_VERSION,
      schemaVersion,
      bridgeVersion: meta.bridgeVersion,
      createdAt: (meta.now ?? new Date()).toISOString(),
      postgresVersion: (await client.query<{ version: string }>("SELECT current_setting('server_version') AS version")).rows[0]!.version,
      tables: [],
    };
    for (const table of tables) header.tables.push(await describeTable(client, table));
    await pipeline(Readable.from(backupLines(client, header, tables)), output, { end: false });
    await client.query('COMMIT');
    return header;
  } catch (error) {
    failure = error as Error;
    throw error;
  } finally {
    // A failed session may be mid-cursor: drop it (PostgreSQL rolls back) rather than pool it.
    client.release(failure);
  }
}

async function describeTable(client: pg.PoolClient, table: TableInfo): Promise<BackupTable> {
  const count = await client.query<{ rows: string }>(`SELECT count(*) AS rows FROM ${table.sql}`);
  const sequences: Record<string, string> = {};
  for (const { column, sequence } of table.sequences) {
    // Sequences are outside the snapshot; a value read later is only higher, which is safe.
    const { rows } = await client.query<{ value: string; used: boolean }>(`SELECT last_value::text AS value, is_called AS used FROM ${sequence}`);
    if (rows[0]?.used) sequences[column] = rows[0].value;
  }
  return { name: table.name, columns: table.columns, jsonText: table.json, rows: Number(count.rows[0]!.rows), sequences };
}

async function* backupLines(client: pg.PoolClient, header: BackupHeader, tables: TableInfo[]): AsyncGenerator<string> {
  yield `${JSON.stringify(header)}\n`;
  let total = 0;
  for (const [index, table] of tables.entries()) {
    yield `${JSON.stringify({ table: table.name })}\n`;
    const order = table.primaryKey.length > 0 ? ` ORDER BY ${table.primaryKey.map(quote).join(', ')}` : '';
    const select = table.columns.map((column) => (table.json.includes(column) ? `${quote(column)}::text AS ${quote(column)}` : quote(column)));
    // `backup_row.*`, not `backup_row`: a column of that name would win over the whole row.
    await client.query(
      `DECLARE backup_rows NO SCROLL CURSOR FOR
       SELECT row_to_json(backup_row.*)::text AS line FROM (SELECT ${select.join(', ')} FROM ${table.sql}) backup_row${order}`,
    );
    let rows = 0;
    for (;;) {
      const batch = await client.query<{ line: string }>(`FETCH FORWARD ${FETCH_ROWS} FROM backup_rows`);
      if (batch.rows.length === 0) break;
      rows += batch.rows.length;
      // A type that row_to_json renders over several lines (json inside an array or a domain) would break the file.
      const broken = batch.rows.find((row) => /[\r\n]/.test(row.line));
      if (broken) throw new Error(`a row of ${table.name} does not fit on one line: a column type the backup does not handle yet`);
      yield batch.rows.map((row) => `${row.line}\n`).join('');
    }
    await client.query('CLOSE backup_rows');
    if (rows !== header.tables[index]!.rows) throw new Error(`${table.name} changed within one snapshot (${rows} rows, counted ${header.tables[index]!.rows})`);
    total += rows;
  }
  yield `${JSON.stringify({ end: true, rows: total })}\n`;
}

const FIRST_LOOK = z.object({ format: z.literal(BACKUP_FORMAT), formatVersion: z.number().int().positive() });
const HEADER = z.object({
  format: z.literal(BACKUP_FORMAT),
  formatVersion: z.literal(BACKUP_FORMAT_VERSION),
  schemaVersion: z.number().int().nonnegative(),
  bridgeVersion: z.string(),
  createdAt: z.string(),
  postgresVersion: z.string().default(''),
  tables: z.array(
    z.object({
      name: z.string().min(1),
      columns: z.array(z.string().min(1)),
      jsonText: z.array(z.string()).default([]),
      rows: z.number().int().nonnegative(),
      sequences: z.record(z.string(), z.string().regex(/^-?\d+$/)).default({}),
    }),
  ),
});

/**
 * Reads and checks the header, before anything touches a database: a file that
 * is not a backup, or that this version cannot restore, is refused up front.
 */
export async function openBackup(input: Readable, options: { source: string; newestSchemaVersion: number }): Promise<OpenedBackup> {
  const reader = createInterface({ input, crlfDelay: Infinity });
  const lines = reader[Symbol.asyncIterator]();
  try {
    const first = await lines.next();
    const header = checkHeader(first.done ? '' : first.value, options.source, options.newestSchemaVersion);
    return { header, source: options.source, lines, close: () => reader.close() };
  } catch (error) {
    reader.close();
    throw error;
  }
}

function checkHeader(line: string, source: string, newestSchemaVersion: number): BackupHeader {
  const notBackup = (): BridgeError =>
    new BridgeError('backup_invalid', `${source} is not a gitlab-bridge backup`, { hint: 'restore reads files written by `gitlab-bridge backup`' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw notBackup();
  }
  const look = FIRST_LOOK.safeParse(parsed);
  if (!look.success) throw notBackup();
  if (look.data.formatVersion > BACKUP_FORMAT_VERSION) {
    throw new BridgeError(
      'backup_too_new',
      `${source} was written by a newer gitlab-bridge (backup format ${look.data.formatVersion}; this version reads format ${BACKUP_FORMAT_VERSION})`,
      { hint: 'restore it with the version that wrote it, or a newer one' },
    );
  }
  const header = HEADER.safeParse(parsed);
  if (!header.success) throw notBackup();
  if (header.data.schemaVersion > newestSchemaVersion) {
    throw new BridgeError(
      'backup_too_new',
      `${source} was written by a newer gitlab-bridge (${header.data.bridgeVersion}, schema version ${header.data.schemaVersion}; this one knows up to ${newestSchemaVersion})`,
      { hint: `restore it with gitlab-bridge ${header.data.bridgeVersion} or newer` },
    );
  }
  return header.data as BackupHeader;
}

/**
 * Loads an opened backup into a migrated database in one transaction: all of it
 * or, on any error (a truncated file included), none of it. Refuses a database
 * that holds bridge state unless `force`, which empties it first.
 */
export async function importBackup(pool: pg.Pool, backup: OpenedBackup, options: { force?: boolean } = {}): Promise<RestoreSummary> {
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    await client.query('BEGIN');
    const schemaVersion = await schemaVersionOf(client);
    if (schemaVersion === null || schemaVersion < backup.header.schemaVersion) {
      throw new Error(`the database is at schema version ${schemaVersion ?? 'none'}, older than the backup's ${backup.header.schemaVersion}: migrate it first`);
    }
    const tables = await listTables(client);
    const replaced = await makeRoom(client, tables, options.force ?? false);
    const restored = await loadTables(client, backup, new Map(tables.map((table) => [table.name, table])));
    const rows = restored.reduce((sum, table) => sum + table.rows, 0);
    await expectEnd(backup, rows);
    await continueSequences(client, tables, backup.header);
    await client.query('COMMIT');
    return { tables: restored, rows, replaced };
  } catch (error) {
    failure = error as Error;
    throw error;
  } finally {
    // Dropping the session rolls the transaction back, whatever state it was left in.
    client.release(failure);
  }
}

async function makeRoom(client: pg.PoolClient, tables: TableInfo[], force: boolean): Promise<string[]> {
  if (tables.length === 0) return [];
  const list = tables.map((table) => table.sql).join(', ');
  // Writers wait until the restore commits, so nothing slips in between this check and the load.
  await client.query(`LOCK TABLE ${list} IN EXCLUSIVE MODE`);
  const holding: string[] = [];
  for (const table of tables) {
    const { rows } = await client.query<{ found: boolean }>(`SELECT EXISTS (SELECT FROM ${table.sql}) AS found`);
    if (rows[0]?.found) holding.push(table.name);
  }
  if (force) {
    await client.query(`TRUNCATE TABLE ${list} RESTART IDENTITY CASCADE`);
    return holding;
  }
  if (holding.length > 0) {
    throw new BridgeError('database_not_empty', `the database already holds bridge state (rows in ${holding.join(', ')})`, {
      hint: 'restore into an empty database, or add --force to replace that state',
    });
  }
  return [];
}

/**
 * Columns a migration renamed, for backups written before it: restored under the new name, so a
 * column that came later with the old name is not filled with what the old one held.
 */
const RENAMED_COLUMNS: { table: string; from: string; to: string; before: number }[] = [
  // 0022: `instance` now names the GitLab instance whose door took a delivery; the header moved aside.
  { table: 'webhook_deliveries', from: 'instance', to: 'instance_header', before: 22 },
];

function renamesFor(entry: BackupTable, schemaVersion: number): Map<string, string> {
  return new Map(RENAMED_COLUMNS.filter((rename) => rename.table === entry.name && schemaVersion < rename.before).map((rename) => [rename.from, rename.to]));
}

async function loadTables(client: pg.PoolClient, backup: OpenedBackup, targets: Map<string, TableInfo>): Promise<RestoredTable[]> {
  const restored: RestoredTable[] = [];
  for (const written of backup.header.tables) {
    const renames = renamesFor(written, backup.header.schemaVersion);
    const rename = (column: string) => renames.get(column) ?? column;
    const entry = renames.size === 0 ? written : { ...written, columns: written.columns.map(rename), jsonText: written.jsonText.map(rename) };
    const section = await readObject(backup, `before the rows of ${entry.name}`);
    if (section.value.table !== entry.name) throw damaged(backup, `expected the rows of ${entry.name}`);
    const target = targets.get(entry.name);
    const insert = target ? rowInserter(client, target, entry) : undefined;
    for (let index = 0; index < entry.rows; index += 1) {
      // Read even when skipped: `insert?.add(await …)` would not evaluate its argument.
      const row = await readObject(backup, `in the rows of ${entry.name}`);
      await insert?.add(renames.size === 0 ? row.line : JSON.stringify(Object.fromEntries(Object.entries(row.value).map(([column, value]) => [rename(column), value]))));
    }
    await insert?.flush();
    restored.push({ name: entry.name, rows: entry.rows, restored: insert !== undefined });
  }
  return restored;
}

/**
 * Inserts rows in batches through json_populate_recordset, naming only the
 * backup's columns that still exist: columns added since take their defaults.
 */
function rowInserter(client: pg.PoolClient, table: TableInfo, entry: BackupTable): { add(line: string): Promise<void>; flush(): Promise<void> } | undefined {
  const columns = entry.columns.filter((column) => table.insertable.includes(column));
  if (columns.length === 0) return undefined;
  const values = columns.map((column) => {
    const name = quote(column);
    if (entry.jsonText.includes(column)) {
      const type = table.json.includes(column) ? 'json' : table.jsonb.includes(column) ? 'jsonb' : undefined;
      // The populated value is the JSON string holding the text; #>> unwraps it to that text.
      return type ? `(${name} #>> '{}')::${type}` : name;
    }
    // row_to_json writes SQL NULL and JSON null alike; in a NOT NULL column it can only have been JSON null.
    return table.notNullJson.includes(column) ? `coalesce(${name}, 'null')` : name;
  });
  const sql = `INSERT INTO ${table.sql} (${columns.map(quote).join(', ')}) OVERRIDING SYSTEM VALUE
    SELECT ${values.join(', ')} FROM json_populate_recordset(NULL::${table.sql}, $1::json)`;
  let batch: string[] = [];
  let bytes = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const rows = `[${batch.join(',')}]`;
    batch = [];
    bytes = 0;
    try {
      await client.query(sql, [rows]);
    } catch (error) {
      throw new BridgeError('restore_failed', `cannot restore ${table.name}: ${(error as Error).message}`, {
        hint: 'nothing was changed: the restore is one transaction',
        cause: error,
      });
    }
  };
  return {
    async add(line) {
      batch.push(line);
      bytes += line.length;
      if (batch.length >= INSERT_ROWS || bytes >= INSERT_BYTES) await flush();
    },
    flush,
  };
}

async function expectEnd(backup: OpenedBackup, rows: number): Promise<void> {
  const end = await readObject(backup, 'before its end marker');
  if (end.value.end !== true || end.value.rows !== rows) throw damaged(backup, 'its end marker does not match its rows');
  for (let next = await backup.lines.next(); !next.done; next = await backup.lines.next()) {
    if (next.value.trim() !== '') throw damaged(backup, 'it has data after its end marker');
  }
}

/** Each sequence moves past both the restored rows and the value it had at backup time, so no id is reused. */
async function continueSequences(client: pg.PoolClient, tables: TableInfo[], header: BackupHeader): Promise<void> {
  const recorded = new Map(header.tables.map((table) => [table.name, table.sequences]));
  for (const table of tables) {
    for (const { column, sequence } of table.sequences) {
      await client.query(
        `SELECT setval($1::regclass, next) FROM (SELECT greatest((SELECT max(${quote(column)}) FROM ${table.sql}), $2::bigint) AS next) AS s
         WHERE next IS NOT NULL`,
        [sequence, recorded.get(table.name)?.[column] ?? null],
      );
    }
  }
}

/**
 * The next line, which must be a JSON object. Every line is checked here, rows
 * included, so a file cut off mid-row is reported as such and never reaches
 * PostgreSQL as half a row.
 */
async function readObject(backup: OpenedBackup, where: string): Promise<{ line: string; value: Record<string, unknown> }> {
  const next = await backup.lines.next();
  if (next.done) throw incomplete(backup, where);
  const value = parseObject(next.value);
  if (value) return { line: next.value, value };
  if ((await backup.lines.next()).done) throw incomplete(backup, where);
  throw damaged(backup, `a line ${where} is not a JSON object`);
}

function parseObject(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function incomplete(backup: OpenedBackup, where: string): BridgeError {
  return new BridgeError('backup_invalid', `${backup.source} is incomplete: it ends ${where}`, {
    hint: 'the file was cut short (an interrupted copy or a full disk?); nothing was restored',
  });
}

function damaged(backup: OpenedBackup, detail: string): BridgeError {
  return new BridgeError('backup_invalid', `${backup.source} is damaged: ${detail}`, { hint: 'nothing was restored' });
}
