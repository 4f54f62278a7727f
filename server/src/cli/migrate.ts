import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { openDatabase } from '../store/database.js';
import { migrate } from '../store/migrate.js';

export async function runMigrate(): Promise<number> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const database = await openDatabase(config, log);
  try {
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
