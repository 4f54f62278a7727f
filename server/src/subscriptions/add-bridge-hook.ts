/**
 * Adds the GitLab webhook that feeds this bridge to a project or group, with
 * the user's own token (GitLab checks their role), unless one is there already.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { bridgeWebhookUrl, pointsAt } from '../commands/webhook-health.js';
import type { GitLabTarget } from '../gitlab/find-target.js';
import { createHook, HOOK_FLAGS, listHooks, type GitLabHook } from '../gitlab/hooks-api.js';
import { audit } from '../store/audit-log.js';

export interface HookSettings {
  gitlabUrl: string;
  publicUrl: string;
  /** The X-Gitlab-Token the hook gets (the first of the instance's GITLAB_WEBHOOK_SECRET or GITLAB_<NAME>_WEBHOOK_SECRET). */
  webhookSecret: string;
  /** The GitLab instance at `gitlabUrl` (default `default`): its hooks point at its own door, /webhook/<name>. */
  instance?: string;
}

/** Every event kind a project or group hook can carry: a hook serves every channel subscribed to its target. */
export const ALL_HOOK_KINDS = Object.keys(HOOK_FLAGS);

/** Throws GitLabApiError for what GitLab refuses (403 below Maintainer/Owner; 404 for group hooks without Premium). */
export async function addBridgeHook(
  pool: pg.Pool,
  settings: HookSettings,
  actor: { userId: string; token: string },
  target: Pick<GitLabTarget, 'kind' | 'id' | 'path'>,
  kinds: string[] = ALL_HOOK_KINDS,
): Promise<{ created: true; hook: GitLabHook } | { created: false; hook: GitLabHook }> {
  const ourUrl = bridgeWebhookUrl(settings.publicUrl, settings.instance);
  const existing = (await listHooks(settings.gitlabUrl, actor.token, target)).find((hook) => pointsAt(hook, ourUrl));
  if (existing) return { created: false, hook: existing };
  const hook = await createHook(settings.gitlabUrl, actor.token, target, { url: ourUrl, secret: settings.webhookSecret, kinds });
  await audit(pool, {
    actor: actor.userId,
    action: 'webhook.created',
    target: `${target.kind}:${target.id}`,
    details: {
      path: target.path,
      ...(settings.instance && settings.instance !== 'default' ? { instance: settings.instance } : {}),
      hook: hook.id,
      events: hook.events,
      secret: secretFingerprint(settings.webhookSecret),
    },
  });
  return { created: true, hook };
}

/** A fingerprint of the secret a hook got, so an admin can tell which one it was, never the secret itself. */
export function secretFingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 8);
}
