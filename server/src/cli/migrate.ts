/** `gitlab-bridge migrate [--status]`: see COMMANDS in commands.ts. */
import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { openDatabase } from '../store/database.js';
import { migrate, migrationStatus, type MigrationStatus } from '../store/migrate.js';
import type { Invocation } from './main.js';

export async function runMigrate({ values, io }: Invocation): Promise<number> {
  const config = loadConfig();
  const log = createLogger(values.status ? 'warn' : config.logLevel);
  const database = await openDatabase(config, log, { shareRunning: true });
  try {
    if (values.status) {
      const status = await migrationStatus(database.pool);
      io.out(describeStatus(status, database.label));
      return status.applied.some((migration) => migration.unknown || migration.changed) ? 1 : 0;
    }
    const result = await migrate(database.pool, log);
    log.info(
      { applied: result.applied.map((m) => `${m.version}_${m.name}`), schemaVersion: result.version, database: database.label },
      result.applied.length === 0 ? 'database is up to date' : 'database migrated',
    );
    return 0;
  } finally {
    await database.close();
  }
}

export function describeStatus(status: MigrationStatus, label: string): string {
  const name = (version: number, text: string) => `${String(version).padStart(4, '0')}_${text}`;
  const lines = [
    `Database: ${label}`,
    ...status.applied.map((migration) => {
      const note = migration.unknown ? '  ← from a newer gitlab-bridge: run that version, or restore a backup made by this one' : migration.changed ? '  ← edited after it was applied' : '';
      return `applied  ${name(migration.version, migration.name).padEnd(32)} ${migration.appliedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC${note}`;
    }),
    ...status.pending.map((migration) => `pending  ${name(migration.version, migration.name)}`),
  ];
  const newer = status.applied.filter((migration) => migration.unknown).length;
  lines.push(
    newer > 0
      ? 'This database was migrated by a newer gitlab-bridge; this version will not start against it.'
      : status.pending.length > 0
        ? `${status.pending.length} migration(s) pending: \`gitlab-bridge migrate\` (or \`start\`) applies them.`
        : 'Up to date.',
  );
  return lines.join('\n');
}
