/**
 * Mattermost: it answers, the bot token is an active bot's, the slash command
 * is where setup put it, and the settings the bridge needs are on. The last
 * two need MATTERMOST_ADMIN_TOKEN; without it they are partial or skipped.
 */
import type { Config } from '../config.js';
import { checkBotToken } from '../mattermost/check-bot-token.js';
import { checkSettings, type ServiceSettings } from '../mattermost/check-settings.js';
import { createMattermostClient, type MattermostClient } from '../mattermost/client.js';
import { networkReason } from '../net/network-reason.js';
import type { RegisteredCommand } from '../store/slash-commands.js';
import { fail, ok, skipped, TIMEOUT_MS, type Check, type ClockSample, type Findings } from './check.js';
import { checkPluginHold, judgeCommands, listLiveCommands } from './check-slash-commands.js';
import { mattermostReason } from './mattermost-reason.js';

const NEW_BOT_TOKEN = 'run gitlab-bridge setup (with MATTERMOST_ADMIN_TOKEN): it makes the bot a token to put in MATTERMOST_BOT_TOKEN; then restart the bridge';
const ADMIN_TOKEN = "set MATTERMOST_ADMIN_TOKEN to a system admin's personal access token to check this";

/** `commands`: what setup registered, from the database; null when it could not be read. */
export async function checkMattermost(config: Config, commands: RegisteredCommand[] | null): Promise<Findings> {
  const { url, botToken, adminToken } = config.mattermost;
  if (!url) return { checks: [skipped('Mattermost', 'MATTERMOST_URL is not set', 'set MATTERMOST_URL to the address the bridge calls Mattermost at')], clock: [] };
  const ping = await pingMattermost(url);
  if (!ping.clock) {
    const rest = ['Mattermost bot token', 'slash command', 'Mattermost settings'].map((check) => skipped(check, 'Mattermost does not answer', 'fix the Mattermost check first'));
    return { checks: [ping.check, ...rest], clock: [] };
  }
  const checks = [ping.check, await checkBot(url, botToken)];
  const admin = adminToken ? createMattermostClient(url, adminToken, TIMEOUT_MS) : null;
  const adminCheck = admin ? await checkAdmin(admin) : null;
  if (adminCheck) checks.push(adminCheck);
  const adminWorks = admin && adminCheck?.status === 'ok' ? admin : null;
  const expectedUrl = `${config.internalUrl.replace(/\/$/, '')}/mattermost/command`;

  if (commands === null) checks.push(skipped('slash command', 'the database could not be read', 'fix the database check first'));
  else checks.push(...judgeCommands(commands, adminWorks ? await listLiveCommands(adminWorks, commands) : null, expectedUrl));
  const pluginHold = adminWorks && commands !== null ? await checkPluginHold(adminWorks, commands) : null;
  if (pluginHold) checks.push(pluginHold);

  if (adminWorks) checks.push(...(await checkMattermostSettings(adminWorks, config.internalUrl)));
  else checks.push(skipped('Mattermost settings', adminToken ? 'MATTERMOST_ADMIN_TOKEN does not work' : 'they can only be read with MATTERMOST_ADMIN_TOKEN', ADMIN_TOKEN));
  return { checks, clock: [ping.clock] };
}

/** GET /api/v4/system/ping needs no token: it tells a wrong URL from a wrong token. */
async function pingMattermost(url: string): Promise<{ check: Check; clock: ClockSample | null }> {
  const sentAt = Date.now();
  let response: Response;
  try {
    response = await fetch(`${url}/api/v4/system/ping`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    await response.body?.cancel();
  } catch (error) {
    return { check: fail('Mattermost', `cannot reach Mattermost at ${url}: ${networkReason(error)}`, 'check MATTERMOST_URL and that Mattermost runs (and HTTP_PROXY/NO_PROXY when a proxy is in the way)'), clock: null };
  }
  const clock = { source: 'Mattermost', date: response.headers.get('date'), sentAt, receivedAt: Date.now() };
  if (response.ok) return { check: ok('Mattermost', `answers at ${url}`), clock };
  return { check: fail('Mattermost', `${url} answered ${response.status} to GET /api/v4/system/ping`, 'check that MATTERMOST_URL is Mattermost\'s own address, and that Mattermost is healthy'), clock };
}

async function checkBot(url: string, botToken: string | undefined): Promise<Check> {
  const CHECK = 'Mattermost bot token';
  if (!botToken) return skipped(CHECK, 'MATTERMOST_BOT_TOKEN is not set', NEW_BOT_TOKEN);
  const client = createMattermostClient(url, botToken, TIMEOUT_MS);
  const verdict = await checkBotToken(client, url)();
  if ('error' in verdict) return fail(CHECK, verdict.error, NEW_BOT_TOKEN);
  if ('unreachable' in verdict) return fail(CHECK, verdict.unreachable, 'check that Mattermost answers');
  try {
    const me = await client.getMe();
    if (!me.is_bot) return fail(CHECK, `MATTERMOST_BOT_TOKEN belongs to @${me.username}, a regular user, not a bot`, NEW_BOT_TOKEN);
    if (me.delete_at > 0) return fail(CHECK, `the bot @${me.username} is disabled`, 'run gitlab-bridge setup: it enables the bot again');
    return ok(CHECK, `Mattermost accepts it: the bot @${me.username}, active`);
  } catch (error) {
    return fail(CHECK, `cannot read the bot's account: ${mattermostReason(error)}`, NEW_BOT_TOKEN);
  }
}

async function checkAdmin(admin: MattermostClient): Promise<Check> {
  const CHECK = 'Mattermost admin token';
  const fix = "use a system admin's personal access token (Profile > Security > Personal Access Tokens), or unset MATTERMOST_ADMIN_TOKEN";
  try {
    const me = await admin.getMe();
    if (!me.roles.split(' ').includes('system_admin')) return fail(CHECK, `MATTERMOST_ADMIN_TOKEN belongs to @${me.username}, who is not a system admin`, fix);
    return ok(CHECK, `a system admin's (@${me.username})`);
  } catch (error) {
    return fail(CHECK, `Mattermost does not accept MATTERMOST_ADMIN_TOKEN (${mattermostReason(error)})`, fix);
  }
}

async function checkMattermostSettings(admin: MattermostClient, internalUrl: string): Promise<Check[]> {
  const CHECK = 'Mattermost settings';
  let settings: ServiceSettings;
  try {
    settings = ((await admin.getConfig()) as unknown as { ServiceSettings?: ServiceSettings }).ServiceSettings ?? {};
  } catch (error) {
    return [fail(CHECK, `cannot read Mattermost's configuration: ${mattermostReason(error)}`, "MATTERMOST_ADMIN_TOKEN must be a system admin's token")];
  }
  const verdicts = checkSettings(settings, internalUrl);
  const problems = verdicts.filter((verdict) => !verdict.ok);
  if (problems.length === 0) return [ok(CHECK, `${verdicts.map((verdict) => verdict.setting).join(', ')} as the bridge needs them`)];
  return problems.map((verdict) => fail(CHECK, verdict.problem!, verdict.fix!));
}
