/**
 * `gitlab-bridge import official-plugin [--from-file <file>] [--apply]`: brings the official GitLab
 * plugin's channel subscriptions over (import/official-plugin/). A dry run unless --apply: it reads,
 * plans and prints, and changes nothing in Mattermost, GitLab or the bridge's subscriptions.
 *
 * It acts as the admin token's user to read channels and people (a system admin: the plugin's
 * subscriptions may be in any private channel), asks GitLab nothing but what anyone may read, and with
 * --apply posts and sends direct messages as the bot. Mattermost's database is read in a read-only
 * transaction, its URL only from MATTERMOST_DATABASE_URL: a password on the command line would show
 * in every process list.
 */
import { loadConfig } from '../config.js';
import { BridgeError } from '../errors.js';
import { connectUrl } from '../accounts/connect-link.js';
import { applyImport } from '../import/official-plugin/apply-import.js';
import { gatherFacts } from '../import/official-plugin/gather-facts.js';
import { planImport } from '../import/official-plugin/plan-import.js';
import { readFromDatabase, readFromFile } from '../import/official-plugin/read-source.js';
import { renderReport } from '../import/official-plugin/render-import.js';
import { createLogger } from '../log.js';
import { createChannelGateway } from '../mattermost/channel-gateway.js';
import { createMattermostClient, MattermostHttpError } from '../mattermost/client.js';
import { createDirectMessenger } from '../mattermost/direct-message.js';
import { BOT_USERNAME, DEFAULT_TRIGGER } from '../mattermost/provision.js';
import { installProxySupport } from '../net/proxy.js';
import { audit } from '../store/audit-log.js';
import { openDatabase } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import type { Queryable } from '../store/queryable.js';
import { listSlashCommands } from '../store/slash-commands.js';
import type { Invocation } from './main.js';

export async function runImport({ values, positionals, io }: Invocation): Promise<number> {
  if (positionals[0] !== 'official-plugin') {
    throw new BridgeError('usage', `import: say what to import: official-plugin, not '${positionals[0] ?? ''}' (try 'gitlab-bridge import --help')`);
  }
  if (values.apply === true && values['dry-run'] === true) throw new BridgeError('usage', 'import: --apply and --dry-run contradict each other');
  const apply = values.apply === true;
  const fromFile = typeof values['from-file'] === 'string' ? values['from-file'] : undefined;

  const config = loadConfig();
  // The official plugin knows one GitLab: the admin says which of ours it was (the default unless told).
  const chosen = typeof values.instance === 'string' ? config.gitlabInstances.find((candidate) => candidate.name === values.instance?.toString().trim().toLowerCase()) : config.gitlab;
  if (!chosen) {
    throw new BridgeError('usage', `import: this bridge has no GitLab instance '${String(values.instance)}' (it has ${config.gitlabInstances.map((candidate) => candidate.name).join(', ')})`);
  }
  const instance = chosen.name;
  const { url, adminToken, botToken, databaseUrl } = config.mattermost;
  if (!url || !adminToken) {
    throw new BridgeError('config_invalid', 'import needs MATTERMOST_URL and MATTERMOST_ADMIN_TOKEN', { hint: "a system admin's personal access token: it reads the subscribed channels and their people" });
  }
  if (apply && !botToken) throw new BridgeError('config_invalid', 'import --apply needs MATTERMOST_BOT_TOKEN: it posts and sends direct messages as the bot', { hint: 'run gitlab-bridge setup first' });
  if (!fromFile && !databaseUrl) {
    throw new BridgeError('config_invalid', "import official-plugin reads the plugin's data from Mattermost's database: set MATTERMOST_DATABASE_URL, or export it to a file and use --from-file", {
      hint: 'docs/operations.md, "Moving over from the official GitLab plugin"',
    });
  }
  installProxySupport(config.proxy);

  // Read and checked before anything else is opened: a bad source changes nothing anywhere.
  const state = fromFile ? await readFromFile(fromFile) : await readFromDatabase(databaseUrl!);

  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const database = await openDatabase(config, log, { shareRunning: true });
  try {
    await migrate(database.pool, log);
    const admin = createMattermostClient(url, adminToken);
    const me = await admin.getMe();
    if (!me.roles.split(' ').includes('system_admin')) {
      throw new BridgeError('config_invalid', `MATTERMOST_ADMIN_TOKEN belongs to ${me.username}, who is not a system admin`, { hint: 'the plugin\'s subscriptions may be in any private channel: only a system admin may read them all' });
    }
    const bot = botToken ? createMattermostClient(url, botToken) : null;
    const botUserId = bot ? (await bot.getMe()).id : await userIdByName(admin, BOT_USERNAME);
    const trigger = await commandWord(database.pool);
    const facts = await gatherFacts({ db: database.pool, admin, botUserId, gitlabUrl: chosen.url, instance }, state);
    const plan = planImport(state.subscriptions, facts);
    if (!apply || !bot) {
      for (const line of renderReport(plan, state.source, trigger, false)) io.out(line);
      return 0;
    }

    const outcome = await applyImport(
      {
        pool: database.pool,
        bot,
        gateway: createChannelGateway(bot),
        message: createDirectMessenger(bot),
        connectLink: (userId) => connectUrl(database.pool, config.publicUrl, userId, instance),
        instance,
        adminId: me.id,
        trigger,
      },
      plan,
    );
    await audit(database.pool, {
      actor: me.id,
      action: 'import.official_plugin',
      target: 'official-plugin',
      details: { source: fromFile ? 'file' : 'database', created: outcome.created, pending: outcome.pending, asked: outcome.asked, failures: outcome.failures.length },
    });
    for (const line of renderReport(plan, state.source, trigger, true, outcome.failed)) io.out(line);
    for (const failure of outcome.failures) io.out(`FAILED: ${failure}`);
    io.out(`${outcome.created} created, ${outcome.pending} left for their channels, ${outcome.posts} channel ${outcome.posts === 1 ? 'post' : 'posts'}, ${outcome.asked} asked to connect.`);
    if (outcome.failures.length > 0) io.out('What failed was not recorded: run the import again to retry it.');
    return outcome.failures.length === 0 ? 0 : 1;
  } finally {
    await database.close();
  }
}

async function userIdByName(admin: ReturnType<typeof createMattermostClient>, username: string): Promise<string | null> {
  try {
    return (await admin.getUserByUsername(username)).id;
  } catch (error) {
    if (error instanceof MattermostHttpError && error.status === 404) return null;
    throw error;
  }
}

/** The word setup registered (`--trigger gl`), for the commands the import tells people to run. */
async function commandWord(db: Queryable): Promise<string> {
  const counts = new Map<string, number>();
  for (const command of await listSlashCommands(db)) counts.set(command.trigger, (counts.get(command.trigger) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? DEFAULT_TRIGGER;
}
