/**
 * `/gitlab webhook add | list | test <project or group>`: the GitLab side of a
 * subscription, made with the user's own token (GitLab checks their role).
 */
import type pg from 'pg';
import type { GitLabConnections } from '../accounts/gitlab-connections.js';
import { refuseWrite, type ScopeSetting } from '../accounts/write-access.js';
import { findTarget, type GitLabTarget } from '../gitlab/find-target.js';
import { DEFAULT_INSTANCE, type GitLabInstances } from '../gitlab/instances.js';
import { GitLabApiError, HOOK_FLAGS, listHooks, testHook, type GitLabHook } from '../gitlab/hooks-api.js';
import type { MattermostClient } from '../mattermost/client.js';
import { addBridgeHook } from '../subscriptions/add-bridge-hook.js';
import { onInstance } from '../subscriptions/change-subscriptions.js';
import { groupHooksUnavailable } from '../subscriptions/plan-group-hooks.js';
import type { CommandCall, Subcommand } from './command-router.js';
import type { AccountInstance } from './account.js';
import { parseSubscriptionOptions, resolveTarget } from './subscription-options.js';
import { callerOn, connectHint, instanceOption, instancesOf } from './on-instance.js';
import { bridgeWebhookUrl, describeHookHealth, pointsAt } from './webhook-health.js';
import { addProjectHooks, listProjectHookCoverage, offerProjectHooks } from './webhook-projects.js';

export interface WebhookDeps {
  pool: pg.Pool;
  connections: GitLabConnections | null;
  gitlabUrl: string;
  publicUrl: string | undefined;
  /** The X-Gitlab-Token new hooks get (the first of GITLAB_WEBHOOK_SECRET). */
  webhookSecret: string | undefined;
  /** Names who keeps a group's project hooks in step. */
  bot?: MattermostClient | null;
  /** GITLAB_OAUTH_SCOPES: `add` and `test` write (POST), which read_api does not allow; `list` reads. */
  scopeSetting: ScopeSetting;
  /** Every configured GitLab and each one's connections; absent, only the default one (the fields above). */
  instances?: GitLabInstances;
  accountInstance?(name: string): AccountInstance | undefined;
  /** The instance gitlabUrl, webhookSecret and scopeSetting are of (`default` unless said): its hooks point at its own door. */
  instance?: string;
}

const USAGE = 'webhook add <project|group> [--events …] [--projects] [--instance <name>] | list <project|group> | test <project|group>';

export const webhookCommand: Subcommand<WebhookDeps> = {
  name: 'webhook',
  summary:
    'the GitLab webhook that feeds this bridge: add one (Maintainer of a project, Owner of a group), list them with their health, or send a test event. Where GitLab has no group webhooks (Free), `add <group> --projects` adds one to each project of the group where you are a Maintainer and keeps that set in step',
  usage: USAGE,
  options: { events: { type: 'string' }, projects: { type: 'boolean' }, instance: { type: 'string' } },
  async run(call, { values, positionals }, given) {
    const [action, which, ...extra] = positionals;
    if (!action || !which || extra.length > 0 || !['add', 'list', 'test'].includes(action.toLowerCase())) return `Usage: \`/${call.trigger} ${USAGE}\``;
    // Each GitLab's hooks: made on it, as the person's account there, pointing at its own door with its own secret.
    const known = instancesOf(given);
    const path = resolveTarget(which, known, typeof values.instance === 'string' ? values.instance : undefined);
    if (!path.ok) return `${path.error}.`;
    const instance = path.instance;
    const deps: WebhookDeps = {
      ...given,
      gitlabUrl: instance.url,
      webhookSecret: instance.name === DEFAULT_INSTANCE ? given.webhookSecret : instance.webhookSecrets[0],
      scopeSetting: given.accountInstance?.(instance.name)?.scopeSetting ?? given.scopeSetting,
      instance: instance.name,
    };
    const secretName = instance.name === DEFAULT_INSTANCE ? 'GITLAB_WEBHOOK_SECRET' : `GITLAB_${instance.name.toUpperCase()}_WEBHOOK_SECRET`;
    if (!deps.publicUrl || !deps.webhookSecret) return `This bridge has no PUBLIC_URL or ${secretName} yet, so it cannot tell GitLab where to send webhooks. Ask your admin.`;
    const on = known.several ? ` on ${known.label(instance.name)}` : '';
    const caller = await callerOn(given, instance.name, call.userId);
    const verb = action.toLowerCase();
    const refusal = verb === 'list' ? null : refuseWrite(deps.scopeSetting, verb === 'add' ? 'add webhooks' : 'send test events through webhooks', caller?.scopes);
    if (refusal) return refusal.text;
    if (!caller) return `Webhooks are made with your own GitLab account${on}: ${connectHint(call.trigger, instance.name)} first.`;
    const { token } = caller;
    const target = await findTarget(deps.gitlabUrl, path.path, caller);
    if (!target) return `\`${path.path}\` does not exist on GitLab${on}, or your GitLab account${on ? ' there' : ''} cannot see it.`;
    const ourUrl = bridgeWebhookUrl(deps.publicUrl, instance.name);
    try {
      switch (action.toLowerCase()) {
        case 'add':
          return await add(call, target, token, values, deps);
        case 'list':
          return await list(target, token, ourUrl, call, deps);
        default:
          return await test(target, token, ourUrl, call, deps);
      }
    } catch (error) {
      // No group webhooks on this GitLab: a webhook on each project does instead.
      const verb = action.toLowerCase();
      if (error instanceof GitLabApiError && target.kind === 'group' && verb !== 'test' && groupHooksUnavailable(error.status, target.accessLevel)) {
        if (verb === 'list') return (await listProjectHookCoverage(call, target, token, deps)) ?? (await offerProjectHooks(call, target, token, deps));
        return await offerProjectHooks(call, target, token, deps);
      }
      if (error instanceof GitLabApiError) return explain(error, target);
      throw error;
    }
  },
};

async function add(call: CommandCall, target: GitLabTarget, token: string, values: Record<string, unknown>, deps: WebhookDeps): Promise<string> {
  const options = parseSubscriptionOptions({ events: values.events });
  if (!options.ok) return `${options.error}.`;
  const kinds = (options.settings.filters.events ?? Object.keys(HOOK_FLAGS)).map((event) => event.split(':')[0]!);
  const unsupported = kinds.filter((kind) => !HOOK_FLAGS[kind]);
  if (unsupported.length > 0) return `GitLab hooks have no switch for ${unsupported.join(', ')}; those come from system hooks.`;
  if (values.projects === true) {
    return target.kind === 'group' ? addProjectHooks(call, target, token, kinds, deps) : `\`--projects\` is for groups: it adds a webhook to each of a group's projects. \`/${call.trigger} webhook add ${target.path}\` adds one to this project.`;
  }
  const added = await addBridgeHook(deps.pool, { gitlabUrl: deps.gitlabUrl, publicUrl: deps.publicUrl!, webhookSecret: deps.webhookSecret!, instance: deps.instance }, { userId: call.userId, token }, target, kinds);
  const on = onInstance(deps.instances, deps.instance ?? DEFAULT_INSTANCE);
  if (!added.created) return `\`${target.path}\`${on} already sends webhooks to this bridge (hook ${added.hook.id}): ${describeHook(added.hook)}.`;
  const hook = added.hook;
  return `Added a webhook to the ${target.kind} \`${target.path}\`${on} (hook ${hook.id}, SSL verification on): ${hook.events.join(', ')}.`;
}

async function list(target: GitLabTarget, token: string, ourUrl: string, call: CommandCall, deps: WebhookDeps): Promise<string> {
  const ours = (await listHooks(deps.gitlabUrl, token, target)).filter((hook) => pointsAt(hook, ourUrl));
  const projects = target.kind === 'group' ? await listProjectHookCoverage(call, target, token, deps) : null;
  if (ours.length === 0) return projects ?? `\`${target.path}\` sends no webhooks to this bridge. \`/${call.trigger} webhook add ${target.path}${instanceOption(deps.instance)}\` adds one.`;
  return [`#### Webhooks of \`${target.path}\` to this bridge`, ...ours.map((hook) => `- Hook ${hook.id}: ${describeHook(hook)}`), ...(projects ? [projects] : [])].join('\n');
}

async function test(target: GitLabTarget, token: string, ourUrl: string, call: CommandCall, deps: WebhookDeps): Promise<string> {
  const hook = (await listHooks(deps.gitlabUrl, token, target)).find((candidate) => pointsAt(candidate, ourUrl));
  if (!hook) return `\`${target.path}\` sends no webhooks to this bridge. \`/${call.trigger} webhook add ${target.path}${instanceOption(deps.instance)}\` adds one.`;
  const trigger = hook.events.includes('push_events') ? 'push_events' : (hook.events[0] ?? 'push_events');
  await testHook(deps.gitlabUrl, token, target, hook.id, trigger);
  return `GitLab sent a test event (${trigger.replace(/_events$/, '')}) through hook ${hook.id}; channels subscribed to \`${target.path}\` for it should see it shortly.`;
}

function describeHook(hook: GitLabHook): string {
  return `${describeHookHealth(hook)} · ${hook.events.map((event) => event.replace(/_events$/, '')).join(', ') || 'no events'}`;
}

function explain(error: GitLabApiError, target: GitLabTarget): string {
  if (target.kind === 'group' && error.status === 404) {
    return 'This GitLab has no group webhooks: they need GitLab Premium or Ultimate. Add one to each of its projects instead (`webhook add group --projects`).';
  }
  if (error.status === 403) {
    return target.kind === 'project'
      ? `GitLab refused: a project's webhooks need the Maintainer or Owner role in \`${target.path}\`.`
      : `GitLab refused: a group's webhooks need the Owner role in \`${target.path}\`, and GitLab Premium or Ultimate. A webhook on each of its projects where you are a Maintainer works too (\`webhook add ${target.path} --projects\`).`;
  }
  return `GitLab answered ${error.status}: ${error.message}`;
}
