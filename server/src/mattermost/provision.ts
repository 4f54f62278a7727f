/**
 * What `gitlab-bridge setup` does in Mattermost, step by step, each step
 * idempotent: the bot, its access token, the /gitlab command on each team, and
 * a check of the settings the bridge needs. Every step reports what it found
 * or changed; nothing here prints or exits. When a plugin's command already has
 * the word (the official GitLab plugin's /gitlab), it stops before changing
 * anything and names the admin's two ways out (plugin-commands.ts).
 */
import type { Bot } from '@mattermost/types/bots';
import type { Command } from '@mattermost/types/integrations';
import type { Team } from '@mattermost/types/teams';
import type { UserProfile } from '@mattermost/types/users';
import { checkSettings, type ServiceSettings } from './check-settings.js';
import { MattermostHttpError, type MattermostClient } from './client.js';
import { describeHold, findPluginHold } from './plugin-commands.js';

export const BOT_USERNAME = 'gitlab';
const BOT_DISPLAY_NAME = 'GitLab';
const BOT_DESCRIPTION = 'Posts from GitLab: subscriptions, reviews, pipelines. Run /gitlab help.';
export const DEFAULT_TRIGGER = 'gitlab';
/** model.IsValidId: the ids of users (a plugin's id is not one). */
const MATTERMOST_ID = /^[a-z0-9]{26}$/;

export type StepStatus = 'ok' | 'changed' | 'warn' | 'fail';
export interface Step {
  status: StepStatus;
  message: string;
  fix?: string;
}

export interface ProvisionOptions {
  trigger: string;
  /** Team names to register the command on; null = every team. */
  teams: string[] | null;
  /** INTERNAL_URL/mattermost/command */
  commandUrl: string;
  internalUrl: string;
  /** The configured MATTERMOST_BOT_TOKEN, checked before a new one is made. */
  botToken: string | undefined;
  icon: { bytes: Buffer; contentType: string } | null;
  /** A client acting with the given token (to check the configured bot token). */
  clientFor(token: string): MattermostClient;
  /** Uploads the bot's icon (multipart, which the REST client does not do). */
  uploadIcon(botUserId: string, icon: { bytes: Buffer; contentType: string }): Promise<void>;
  /** Stores the command's id and token; reports whether that changed anything. */
  saveCommand(team: Team, command: Command): Promise<boolean>;
}

export interface ProvisionResult {
  steps: Step[];
  /** A bot token made by this run: shown once, never stored by the bridge. */
  newBotToken?: string;
}

export async function provision(admin: MattermostClient, options: ProvisionOptions): Promise<ProvisionResult> {
  const steps: Step[] = [];
  const me = await admin.getMe();
  if (!me.roles.split(' ').includes('system_admin')) {
    return { steps: [{ status: 'fail', message: `MATTERMOST_ADMIN_TOKEN belongs to ${me.username}, who is not a system admin`, fix: 'use a personal access token of a system admin' }] };
  }

  const config = (await admin.getConfig()) as unknown as { ServiceSettings?: ServiceSettings };
  for (const verdict of checkSettings(config.ServiceSettings ?? {}, options.internalUrl)) {
    steps.push(verdict.ok ? { status: 'ok', message: `Mattermost setting ${verdict.setting}` } : { status: 'fail', message: verdict.problem!, fix: verdict.fix });
  }

  // A refused step (often a setting above) is reported and the rest still runs where it can.
  const attempt = async <T>(what: string, step: () => Promise<T>): Promise<T | null> => {
    try {
      return await step();
    } catch (error) {
      if (!(error instanceof MattermostHttpError)) throw error;
      steps.push({ status: 'fail', message: `${what}: Mattermost answered ${error.status} (${error.message})` });
      return null;
    }
  };
  const teams = (await attempt('listing teams', () => chosenTeams(admin, options.teams, steps))) ?? [];
  // Beside a plugin's command of the same word, ours would never be called: stop before changing anything.
  const hold = await attempt(`looking for a plugin's /${options.trigger}`, () => findPluginHold(admin, teams, options.trigger));
  if (hold) {
    const { problem, fix } = describeHold(hold);
    steps.push({ status: 'fail', message: `${problem}. Nothing was changed.`, fix });
    return { steps };
  }
  const bot = await attempt('setting up the bot', () => ensureBot(admin, me, options, steps));
  if (!bot) return { steps };
  const newBotToken = (await attempt('making the bot an access token', () => ensureBotToken(admin, bot, options, steps))) ?? undefined;
  for (const team of teams) {
    await attempt(`team ${team.name}: registering /${options.trigger}`, () => ensureCommand(admin, team, bot, options, steps));
  }
  return { steps, newBotToken };
}

async function ensureBot(admin: MattermostClient, me: UserProfile, options: ProvisionOptions, steps: Step[]): Promise<Bot | null> {
  const existing = await admin.getUserByUsername(BOT_USERNAME).catch(notFoundAsNull);
  if (existing && !existing.is_bot) {
    steps.push({ status: 'fail', message: `the username '${BOT_USERNAME}' belongs to a regular user, not a bot`, fix: `rename that user (mmctl user username ${BOT_USERNAME} <new name>) and run setup again` });
    return null;
  }
  if (!existing) {
    const bot = await admin.createBot({ username: BOT_USERNAME, display_name: BOT_DISPLAY_NAME, description: BOT_DESCRIPTION });
    steps.push({ status: 'changed', message: `created the bot @${BOT_USERNAME} (owner ${me.username})` });
    if (options.icon) {
      await options.uploadIcon(bot.user_id, options.icon);
      steps.push({ status: 'changed', message: 'set the bot icon' });
    }
    return bot;
  }
  // A disabled bot is invisible to getBot: re-enable it first.
  if (existing.delete_at > 0) {
    await admin.enableBot(existing.id);
    steps.push({ status: 'changed', message: `enabled the disabled bot @${BOT_USERNAME}` });
  }
  let bot = await admin.getBot(existing.id);
  // A plugin's bot (the official GitLab plugin makes @gitlab too) has the plugin's id as its owner.
  if (bot.owner_id && !MATTERMOST_ID.test(bot.owner_id)) {
    steps.push({
      status: 'warn',
      message: `the bot @${BOT_USERNAME} was made by the plugin ${bot.owner_id}: the bridge posts as it too, under the bridge's name and description`,
      fix: 'fine once that plugin is disabled; while it runs, both post as this bot',
    });
  }
  if (bot.display_name !== BOT_DISPLAY_NAME || bot.description !== BOT_DESCRIPTION) {
    bot = await admin.patchBot(bot.user_id, { display_name: BOT_DISPLAY_NAME, description: BOT_DESCRIPTION });
    steps.push({ status: 'changed', message: `updated the bot's display name and description` });
  } else {
    steps.push({ status: 'ok', message: `bot @${BOT_USERNAME}` });
  }
  return bot;
}

async function ensureBotToken(admin: MattermostClient, bot: Bot, options: ProvisionOptions, steps: Step[]): Promise<string | undefined> {
  if (options.botToken) {
    const owner = await options
      .clientFor(options.botToken)
      .getMe()
      .catch(() => null);
    if (owner?.id === bot.user_id) {
      steps.push({ status: 'ok', message: 'MATTERMOST_BOT_TOKEN is a token of the bot' });
      return undefined;
    }
    steps.push({ status: 'warn', message: owner ? `MATTERMOST_BOT_TOKEN belongs to ${owner.username}, not the bot; making a new one` : 'MATTERMOST_BOT_TOKEN is not accepted by Mattermost; making a new one' });
  }
  const made = await admin.createUserAccessToken(bot.user_id, 'gitlab-bridge');
  steps.push({ status: 'changed', message: 'created an access token for the bot', fix: 'set MATTERMOST_BOT_TOKEN to the token printed below, then restart the bridge' });
  return made.token;
}

async function chosenTeams(admin: MattermostClient, names: string[] | null, steps: Step[]): Promise<Team[]> {
  if (names) {
    const found: Team[] = [];
    for (const name of names) {
      const team = await admin.getTeamByName(name).catch(notFoundAsNull);
      if (team) found.push(team);
      else steps.push({ status: 'fail', message: `no team named '${name}'`, fix: 'check the name in the team URL (https://<mattermost>/<team-name>/…)' });
    }
    return found;
  }
  const teams: Team[] = [];
  for (let page = 0; ; page += 1) {
    const batch = (await admin.getTeams(page, 200)) as Team[];
    teams.push(...batch);
    if (batch.length < 200) break;
  }
  if (teams.length === 0) steps.push({ status: 'warn', message: 'there are no teams yet; run setup again (or let the bridge do it) once there are' });
  return teams.filter((team) => team.delete_at === 0);
}

async function ensureCommand(admin: MattermostClient, team: Team, bot: Bot, options: ProvisionOptions, steps: Step[]): Promise<void> {
  const wanted = {
    team_id: team.id,
    trigger: options.trigger,
    method: 'P' as const,
    url: options.commandUrl,
    username: BOT_DISPLAY_NAME,
    display_name: 'GitLab',
    description: 'GitLab subscriptions, account and to-dos',
    auto_complete: true,
    auto_complete_desc: 'GitLab: subscriptions, connect, todo, settings, help',
    auto_complete_hint: '[command]',
  };
  // The custom-only list: the other one blanks tokens, URLs and creators.
  const commands = await admin.getCustomTeamCommands(team.id);
  const existing = commands.find((command) => command.trigger === options.trigger && command.delete_at === 0);
  let command: Command;
  if (existing && existing.creator_id !== bot.user_id) {
    steps.push({
      status: 'warn',
      message: `team ${team.name}: /${options.trigger} is already taken by another integration (created by user ${existing.creator_id})`,
      fix: 'run setup with --trigger <another word>, e.g. --trigger gl, or remove the other command',
    });
    return;
  } else if (existing) {
    const differs = (Object.keys(wanted) as (keyof typeof wanted)[]).some((key) => existing[key] !== wanted[key]);
    command = differs ? await admin.editCommand({ ...existing, ...wanted }) : existing;
    const saved = await options.saveCommand(team, command);
    steps.push(differs || saved ? { status: 'changed', message: `team ${team.name}: updated /${options.trigger}` } : { status: 'ok', message: `team ${team.name}: /${options.trigger}` });
    return;
  }
  command = await admin.addCommand({ ...wanted, creator_id: bot.user_id } as Command);
  await options.saveCommand(team, command);
  steps.push({ status: 'changed', message: `team ${team.name}: registered /${options.trigger}` });
}

function notFoundAsNull(error: unknown): null {
  if (error instanceof MattermostHttpError && error.status === 404) return null;
  throw error;
}
