/** `gitlab-bridge setup`: provisions Mattermost (see mattermost/provision.ts) and prints what it did. */
import { loadConfig } from '../config.js';
import { BridgeError } from '../errors.js';
import { createLogger } from '../log.js';
import { createMattermostClient } from '../mattermost/client.js';
import { DEFAULT_TRIGGER, provision, type Step } from '../mattermost/provision.js';
import { provisionOptions } from '../mattermost/provision-options.js';
import { audit } from '../store/audit-log.js';
import { openDatabase } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import type { Invocation } from './main.js';

const TRIGGER = /^[a-z0-9][a-z0-9_.-]{0,127}$/;
const MARKS: Record<Step['status'], string> = { ok: 'ok     ', changed: 'changed', warn: 'warn   ', fail: 'FAIL   ' };

export async function runSetup({ values, io }: Invocation): Promise<number> {
  const trigger = typeof values.trigger === 'string' ? values.trigger.trim().replace(/^\//, '').toLowerCase() : DEFAULT_TRIGGER;
  if (!TRIGGER.test(trigger)) throw new BridgeError('usage', `setup: --trigger must be one word of letters, digits, '-', '_' or '.', not '${String(values.trigger)}'`);
  const teams = Array.isArray(values.team) ? (values.team as string[]).flatMap((name) => name.split(',')).map((name) => name.trim()).filter(Boolean) : null;

  const config = loadConfig();
  const { url, adminToken } = config.mattermost;
  if (!url || !adminToken) {
    throw new BridgeError('config_invalid', 'setup needs MATTERMOST_URL and MATTERMOST_ADMIN_TOKEN', {
      hint: "a system admin's personal access token: Profile > Security > Personal Access Tokens",
    });
  }
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const database = await openDatabase(config, log, { shareRunning: true });
  try {
    await migrate(database.pool, log);
    const admin = createMattermostClient(url, adminToken);
    const result = await provision(admin, await provisionOptions(config, database.pool, { trigger, teams: teams && teams.length > 0 ? teams : null }));

    for (const step of result.steps) {
      io.out(`${MARKS[step.status]}  ${step.message}`);
      if (step.fix) io.out(`         → ${step.fix}`);
      if (step.status === 'changed') await audit(database.pool, { actor: 'setup', action: 'setup.changed', target: step.message });
    }
    if (result.newBotToken) {
      io.out('');
      io.out(`MATTERMOST_BOT_TOKEN=${result.newBotToken}`);
      io.out('(shown once: Mattermost keeps no readable copy. Put it in the environment or .env, then restart the bridge.)');
    }
    const failed = result.steps.filter((step) => step.status === 'fail').length;
    io.out('');
    io.out(failed === 0 ? 'setup done' : `setup done, but ${failed} ${failed === 1 ? 'thing needs' : 'things need'} fixing (see → above)`);
    return failed === 0 ? 0 : 1;
  } finally {
    await database.close();
  }
}
