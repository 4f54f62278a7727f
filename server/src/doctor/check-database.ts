/**
 * The database: reachable, migrated as far as this version goes, and set up
 * with the configured encryption key. Reads only: the doctor migrates nothing
 * and records no key.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type { Config } from '../config.js';
import { KEY_FILE_NAME, KEY_ID_SETTING, resolveEncryptionKey } from '../crypto/encryption-key.js';
import { keyIdOf } from '../crypto/secret-box.js';
import { BridgeError, describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { openDatabase } from '../store/database.js';
import { loadMigrations, migrationStatus, type MigrationStatus } from '../store/migrate.js';
import { readSetting } from '../store/settings.js';
import { listSlashCommands, type RegisteredCommand } from '../store/slash-commands.js';
import { countConnectedScopes, type ConnectedScopes } from '../store/connected-scopes.js';
import { fail, ok, skipped, warn, TIMEOUT_MS, type Check } from './check.js';

export interface DatabaseFindings {
  checks: Check[];
  /** What setup registered in Mattermost, per team; null when the database could not be read. */
  commands: RegisteredCommand[] | null;
  /** The scopes live GitLab connections hold (check-scopes.ts); null when they could not be read. */
  connectedScopes: ConnectedScopes[] | null;
}

export async function checkDatabase(config: Config, log: Logger): Promise<DatabaseFindings> {
  let database;
  try {
    database = await openDatabase(config, log, { connectTimeoutMs: TIMEOUT_MS, shareRunning: true });
  } catch (error) {
    return { checks: [unusable(error), ...['migrations', 'encryption key'].map((check) => skipped(check, 'the database could not be opened', 'fix the database first'))], commands: null, connectedScopes: null };
  }
  try {
    const checks = [ok('database', `${database.label} (${database.kind}) answers`)];
    const migrations = loadMigrations();
    checks.push(judgeMigrations(await migrationStatus(database.pool, migrations), migrations));
    const stored = (await tableExists(database.pool, 'settings')) ? await readSetting<string>(database.pool, KEY_ID_SETTING) : undefined;
    checks.push(await configuredKeyId(config, log).then(
      (configured) => judgeKey(stored, configured, config.previousEncryptionKeys.map(keyIdOf), config.dataDir),
      (error: unknown) => fail('encryption key', describeError(error), 'set ENCRYPTION_KEY to the key used before, or restore the key file from a backup'),
    ));
    const commands = (await tableExists(database.pool, 'slash_commands')) ? await listSlashCommands(database.pool) : [];
    // A database with migrations pending may not have the columns yet: then the scopes are not known.
    const connectedScopes = await countConnectedScopes(database.pool).catch(() => null);
    return { checks, commands, connectedScopes };
  } catch (error) {
    return { checks: [fail('database', `cannot read ${database.label}: ${describeError(error)}`, 'check that DATABASE_URL names the database the bridge uses')], commands: null, connectedScopes: null };
  } finally {
    await database.close();
  }
}

function unusable(error: unknown): Check {
  // The embedded PostgreSQL has one owner; one doctor cannot reach (another container) is no fault.
  if (error instanceof BridgeError && error.code === 'embedded_postgres_in_use') {
    return skipped('database', error.message, error.hint ?? 'run doctor where the bridge runs, or while it is stopped');
  }
  const hint = error instanceof BridgeError ? error.hint : undefined;
  return fail('database', error instanceof BridgeError ? error.message : describeError(error), hint ?? 'check DATABASE_URL, or DATA_DIR for the embedded database');
}

/** What the database has applied against the migrations this version ships. */
export function judgeMigrations(status: MigrationStatus, shipped: readonly { version: number }[]): Check {
  const known = shipped.length;
  const newer = status.applied.filter((migration) => migration.unknown);
  if (newer.length > 0) {
    const newest = shipped.at(-1)?.version ?? 0;
    return fail('migrations', `the database was migrated by a newer gitlab-bridge (schema version ${newer.at(-1)!.version}; this one knows up to ${newest})`, 'run the newer version, or restore a backup made by this one');
  }
  const changed = status.applied.find((migration) => migration.changed);
  if (changed) {
    return fail('migrations', `migration ${String(changed.version).padStart(4, '0')}_${changed.name} differs from the one applied to this database`, 'reinstall this version of gitlab-bridge: shipped migrations must not be edited');
  }
  if (status.pending.length > 0) {
    // Named as their files are; a fresh database lists only the first and last.
    const names = status.pending.map((migration) => `${String(migration.version).padStart(4, '0')}_${migration.name}`);
    const listed = names.length > 3 ? `${names[0]} … ${names.at(-1)}` : names.join(', ');
    return warn('migrations', `${status.pending.length} of ${known} pending (${listed})`, 'run gitlab-bridge migrate (start applies them too)');
  }
  return ok('migrations', `all ${known} applied`);
}

/**
 * The key id the database recorded against the configured one. Ids are hashes
 * of keys: safe to show, and what the bridge itself names in its errors.
 */
export function judgeKey(stored: string | undefined, configured: string | undefined, previous: readonly string[], dataDir: string): Check {
  if (stored === undefined) return ok('encryption key', 'no key recorded yet: the first start records this one');
  if (stored === configured) return ok('encryption key', `the configured key (id ${configured}) is the one the database was set up with`);
  if (previous.includes(stored)) {
    return warn('encryption key', `tokens are still sealed with the ENCRYPTION_KEY_PREVIOUS key (id ${stored}): a key rotation is unfinished`, 'run gitlab-bridge rotate-key');
  }
  if (configured === undefined) {
    return fail('encryption key', `the database was set up with the key with id ${stored}, and neither ENCRYPTION_KEY nor ${path.join(dataDir, KEY_FILE_NAME)} holds a key`, 'set ENCRYPTION_KEY to the key used before, or restore the key file from a backup');
  }
  return fail('encryption key', `the configured key (id ${configured}) is not the one the database was set up with (id ${stored})`, 'set ENCRYPTION_KEY to the key used before (the same on every replica)');
}

/** ENCRYPTION_KEY, else the generated key file if there is one: never generates one. */
async function configuredKeyId(config: Config, log: Logger): Promise<string | undefined> {
  if (config.encryptionKey) return keyIdOf(config.encryptionKey);
  if (!existsSync(path.join(config.dataDir, KEY_FILE_NAME))) return undefined;
  return (await resolveEncryptionKey(undefined, config.dataDir, log)).id;
}

async function tableExists(pool: pg.Pool, name: string): Promise<boolean> {
  const { rows } = await pool.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [name]);
  return rows[0]?.found ?? false;
}
