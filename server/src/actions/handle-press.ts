/**
 * A button press, as Mattermost sends it to INTERNAL_URL/mattermost/action
 * (PostActionIntegrationRequest; facts in docs/security.md "Buttons"):
 *
 * - Who can reach it: anyone who reaches the internal listener; Mattermost
 *   sends no signature. What makes a press genuine is the button's context,
 *   signed by the bridge and never shown to clients.
 * - Who it acts as: the user Mattermost names, with their own GitLab token,
 *   after checking that the signed context is for this channel, that the post
 *   is the bot's own in that channel, and that the user is a member of it.
 * - What the caller sees: an ephemeral answer only they see. The post is
 *   redrawn by the bot through Mattermost's API, never in the answer, so no
 *   signed context ever travels back to whoever called; in a channel it shows
 *   only what the channel was cleared for (state, approvals, buttons).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { GitLabConnections } from '../accounts/gitlab-connections.js';
import { refuseWrite, type ScopeSetting } from '../accounts/write-access.js';
import type { Signer } from '../crypto/signed-claims.js';
import type { Logger } from '../log.js';
import type { ActionGateway, PressedPost } from '../mattermost/action-gateway.js';
import { inline } from '../render/text.js';
import { claimPress } from '../store/action-presses.js';
import { audit } from '../store/audit-log.js';
import { connectUrl } from '../accounts/connect-link.js';
import { readNotificationSettings } from '../store/notification-settings.js';
import { channelWantsButtons } from '../store/subscriptions.js';
import type { Queryable } from '../store/queryable.js';
import { ACTION_DOES, ACTION_NAMES, BUTTONS } from './buttons.js';
import { commentDialog, deploymentDialog, DIALOG_ACTIONS, DIALOG_LIFETIME_MS, mergeDialog, type Dialog, type DialogClaims } from './dialogs.js';
import { gitlabAsUser } from './gitlab-as-user.js';
import { readApprovers, readMergeRequest, readState, type DeploymentJson } from './live-state.js';
import { describeTarget } from './perform-action.js';
import { explainRefusal, mergeBlocker } from './explain-refusal.js';
import { redrawPost, withoutButtons, type Redrawn } from './redraw-post.js';
import type { ButtonClaims, ButtonSigner } from './render-buttons.js';
import { runAction, targetName } from './run-action.js';
import { depsOnInstance, type ActionInstance } from './action-instance.js';
import { instanceOf } from './button-spec.js';
import { DEFAULT_INSTANCE } from '../gitlab/instances.js';
import { GitLabHttpError, GitLabUnreachableError } from '../gitlab/poll-client.js';

export interface ActionDeps {
  pool: Queryable;
  signer: Signer;
  /** Null when the admin turned buttons off (ACTION_BUTTONS=off). */
  buttons: ButtonSigner | null;
  gateway: ActionGateway;
  /** The default instance's connections, URL and scope setting; a press on another's post uses that one's (instanceSide). */
  connections: GitLabConnections | null;
  gitlabUrl: string;
  /** GITLAB_OAUTH_SCOPES: with read_api no button acts (and none is drawn: `buttons` is then null). */
  scopeSetting: ScopeSetting;
  /** Every configured GitLab by name (action-instance.ts); absent, only the default one. */
  instanceSide?(name: string): ActionInstance | undefined;
  /** PUBLIC_URL, for the connect link. */
  publicUrl: string | undefined;
  /** INTERNAL_URL/mattermost/dialog */
  dialogUrl: string;
  log: Logger;
  now(): number;
  /** For /metrics (gitlab_bridge_actions_total). */
  count?(action: string, via: string, outcome: string): void;
}

/**
 * What the press route answers Mattermost: 200 with this JSON (a non-200 shows the user a generic
 * error). No `update`: the bot redraws the post itself. `skip_slack_parsing`: GitLab's words are not
 * read as Slack's `<url|text>` links.
 */
export interface PressAnswer {
  ephemeral_text?: string;
  skip_slack_parsing?: true;
}

const say = (text: string): PressAnswer => ({ ephemeral_text: text, skip_slack_parsing: true });

interface PressRequest {
  userId: string;
  channelId: string;
  postId: string;
  triggerId: string;
  claims: unknown;
}

const MATTERMOST_ID = /^[a-z0-9]{26}$/;

/** The fields we use from PostActionIntegrationRequest; null when it is not one. */
export function readPressRequest(body: unknown): PressRequest | null {
  if (typeof body !== 'object' || body === null) return null;
  const fields = body as Record<string, unknown>;
  const ids = [fields.user_id, fields.channel_id, fields.post_id];
  if (!ids.every((id) => typeof id === 'string' && MATTERMOST_ID.test(id))) return null;
  const context = typeof fields.context === 'object' && fields.context !== null ? (fields.context as Record<string, unknown>) : {};
  return {
    userId: fields.user_id as string,
    channelId: fields.channel_id as string,
    postId: fields.post_id as string,
    triggerId: typeof fields.trigger_id === 'string' ? fields.trigger_id : '',
    claims: context.claims,
  };
}

export async function handlePress(bridgeDeps: ActionDeps, request: PressRequest): Promise<PressAnswer> {
  let deps = bridgeDeps;
  const log = deps.log.child({ user: request.userId, channel: request.channelId, post: request.postId });
  const verified = deps.signer.verify<ButtonClaims>('button', request.claims, deps.now());
  // Unsigned: anyone who reaches the listener can send these, so they are logged, not audited.
  if (!verified.ok && verified.reason === 'forged') {
    log.warn({ reason: 'forged' }, 'button press refused');
    deps.count?.('unknown', 'button', 'refused_forged');
    return say('This button was not made by the GitLab bridge (or was changed), so nothing was done.');
  }
  // Authentic: an expired one still names its action, object and channel.
  const claims = verified.ok ? verified.claims : expiredClaims(deps, request);
  if (!claims || claims.channel !== request.channelId || !ACTION_NAMES.includes(claims.action)) {
    return refuse(deps, request, log, 'wrong_channel', 'This button belongs to another post, so nothing was done.');
  }

  const post = await deps.gateway.readPost(request.postId);
  if (!post || post.channelId !== request.channelId || post.userId !== (await deps.gateway.botUserId())) {
    return refuse(deps, request, log, 'not_bot_post', 'This button is not on one of the GitLab bridge’s posts, so nothing was done.');
  }
  if (!(await deps.gateway.isMember(request.channelId, request.userId))) {
    return refuse(deps, request, log, 'not_member', 'Only members of this channel can use its buttons.');
  }
  // From here on, the GitLab the post's event came from (signed into the target): its URL, the presser's account there.
  const onInstance = depsOnInstance(deps, claims.target);
  if (!onInstance) return refuse(deps, request, log, 'unknown_instance', 'This button is about a GitLab this bridge is no longer connected to, so nothing was done.');
  deps = onInstance;
  // Read-only (the admin chose read_api): buttons drawn before that go, and nothing is done.
  const readOnly = refuseWrite(deps.scopeSetting, ACTION_DOES[claims.action]);
  if (readOnly) {
    await redraw(deps, post, withoutButtons(post), log);
    deps.count?.(claims.action, 'button', `refused_${readOnly.reason}`);
    return say(readOnly.text);
  }
  if (!deps.buttons) {
    await redraw(deps, post, withoutButtons(post), log);
    return say('The admin turned the GitLab buttons off. The `/gitlab` commands still work.');
  }
  // Turned off since the post was made: for the channel's subscriptions, or for this person's DMs.
  const wanted = claims.audience === 'direct' ? (await readNotificationSettings(deps.pool, request.userId)).buttons : await channelWantsButtons(deps.pool, request.channelId);
  if (!wanted) {
    await redraw(deps, post, withoutButtons(post), log);
    return say(`Buttons are turned off ${claims.audience === 'direct' ? 'on your direct messages' : 'for this channel’s subscriptions'}, so they are gone now. The \`/gitlab\` commands still work.`);
  }

  const caller = deps.connections ? await deps.connections.callerFor(request.userId) : null;
  if (!caller) return say(await notConnected(deps, request.userId, instanceOf(claims.target)));

  if (!verified.ok) {
    // The buttons are drawn again, fresh, from what GitLab says now; nothing is done.
    const fresh = await redrawFresh(deps, post, claims, caller, log);
    return say(`These buttons had expired (they work for 30 days), so nothing was done. ${fresh ? 'They are fresh again now: press once more.' : 'Open it in GitLab, or use the `/gitlab` commands.'}`);
  }

  log.info({ action: claims.action, target: targetName(claims.target) }, 'button pressed');
  if (DIALOG_ACTIONS.has(claims.action)) {
    // A token GitLab granted only read_api: no dialog for what it cannot do (runAction says the same for the rest).
    const tokenReadOnly = refuseWrite(deps.scopeSetting, ACTION_DOES[claims.action], caller.scopes);
    if (tokenReadOnly) return say(tokenReadOnly.text);
    return openDialogFor(deps, claims, post, request, caller);
  }

  const result = await runAction(deps, { action: claims.action, target: claims.target, userId: request.userId, caller, via: 'button', postId: post.id });
  if (!result.outcome) return say(result.text);
  const { outcome } = result;
  if (outcome.state) {
    // Fails closed: only a direct message's one reader gets the presser's whole view.
    const lines = { statusLine: claims.audience === 'direct' ? outcome.statusLine : outcome.channelStatusLine };
    await redraw(deps, post, redrawPost(post, { target: outcome.target, state: outcome.state, ...lines }, { audience: claims.audience, channelId: post.channelId }, deps.buttons), log);
  }
  return say(outcome.text);
}

/** The claims of an expired context: the signature was good, only the time ran out. */
function expiredClaims(deps: ActionDeps, request: PressRequest): ButtonClaims | null {
  const stale = deps.signer.verify<ButtonClaims>('button', request.claims, 0);
  return stale.ok ? stale.claims : null;
}

/** The bot edits its own post; a failure leaves it as it was (the next webhook redraws it). Whether it worked. */
async function redraw(deps: ActionDeps, post: PressedPost, redrawn: Redrawn, log: Logger): Promise<boolean> {
  return deps.gateway.updatePost(post.id, redrawn.message, redrawn.props).then(
    () => true,
    (error: unknown) => {
      log.warn({ err: error }, 'could not redraw the post');
      return false;
    },
  );
}

async function redrawFresh(deps: ActionDeps, post: PressedPost, claims: ButtonClaims, caller: { token: string; gitlabUserId: number }, log: Logger): Promise<boolean> {
  if (!deps.buttons) return false;
  try {
    const state = await readState(gitlabAsUser(deps.gitlabUrl, caller.token), claims.target, caller.gitlabUserId);
    return await redraw(deps, post, redrawPost(post, { target: claims.target, state, statusLine: null }, { audience: claims.audience, channelId: post.channelId }, deps.buttons), log);
  } catch (error) {
    log.warn({ err: error }, 'could not read GitLab to draw fresh buttons');
    return false;
  }
}

/**
 * The user a trigger id was issued to: Mattermost's model.GenerateTriggerId writes
 * base64("<client id>:<user id>:<millis>:<signature>"), and checks the signature when the dialog
 * opens. A press naming one user with another's trigger id would open a dialog signed for the
 * first on the second's screen.
 */
function triggerUser(triggerId: string): string | null {
  const parts = Buffer.from(triggerId, 'base64').toString('utf8').split(':');
  return parts.length >= 4 && MATTERMOST_ID.test(parts[1] ?? '') ? parts[1]! : null;
}

async function openDialogFor(
  deps: ActionDeps,
  claims: ButtonClaims,
  post: PressedPost,
  request: PressRequest,
  caller: { token: string; gitlabUserId: number },
): Promise<PressAnswer> {
  const api = gitlabAsUser(deps.gitlabUrl, caller.token);
  const dialogClaims: DialogClaims = {
    action: claims.action,
    target: claims.target,
    channel: request.channelId,
    post: post.id,
    user: request.userId,
    audience: claims.audience,
    nonce: randomBytes(12).toString('base64url'),
  };
  let dialog: Dialog;
  try {
    const built = await buildDialog(api, dialogClaims, caller.gitlabUserId, (state) => deps.signer.sign('dialog', state, deps.now() + DIALOG_LIFETIME_MS));
    if (typeof built === 'string') return say(built);
    dialog = built;
  } catch (error) {
    if (error instanceof GitLabHttpError) return say(explainRefusal(claims.action, describeTarget(claims.target), { status: error.status, message: error.gitlabMessage }));
    if (error instanceof GitLabUnreachableError) return say('GitLab could not be reached. Try again in a moment.');
    throw error;
  }
  if (!request.triggerId || triggerUser(request.triggerId) !== request.userId) {
    return say('Mattermost did not say who pressed the button in a way a dialog can use. Try again.');
  }
  try {
    await deps.gateway.openDialog(request.triggerId, deps.dialogUrl, dialog);
  } catch (error) {
    deps.log.warn({ err: error }, 'Mattermost did not open a dialog');
    return say('Mattermost did not open the dialog (the press may have taken too long). Press the button again.');
  }
  return {};
}

/** The dialog for the press, or, when there is nothing to ask, the answer instead. */
async function buildDialog(
  api: ReturnType<typeof gitlabAsUser>,
  claims: DialogClaims,
  gitlabUserId: number,
  sign: (claims: DialogClaims) => string,
): Promise<Dialog | string> {
  const target = claims.target;
  if (target.kind === 'merge_request' && (claims.action === 'merge' || claims.action === 'automerge')) {
    const live = await readMergeRequest(api, target, gitlabUserId);
    const name = `**${inline(live.json.references?.full ?? `!${target.iid}`)}**`;
    if (live.json.state !== 'opened') return `${name} is ${inline(live.json.state, 40)}: there is nothing to merge.`;
    if (live.json.merge_when_pipeline_succeeds) return `${name} is already set to merge when its pipeline succeeds.`;
    const blocker = mergeBlocker(live.json.detailed_merge_status);
    if (blocker && live.json.detailed_merge_status !== 'ci_still_running') return `GitLab cannot merge ${name} now: ${blocker}.`;
    const automatic = claims.action === 'automerge' || live.json.detailed_merge_status === 'ci_still_running';
    const state = sign({ ...claims, action: automatic ? 'automerge' : 'merge', ...(live.json.sha ? { sha: live.json.sha } : {}) });
    return mergeDialog(state, {
      name,
      squash: live.json.squash ?? false,
      removeSourceBranch: live.json.force_remove_source_branch ?? live.json.should_remove_source_branch ?? false,
      automatic,
    });
  }
  if (claims.action === 'comment' && (target.kind === 'merge_request' || target.kind === 'issue')) {
    const path = target.kind === 'merge_request' ? `/projects/${target.project}/merge_requests/${target.iid}` : `/projects/${target.project}/issues/${target.iid}`;
    const item = await api.get<{ references?: { full?: string } }>(path);
    return commentDialog(sign(claims), `**${inline(item.references?.full ?? describeTarget(target))}**`);
  }
  if (target.kind === 'deployment' && (claims.action === 'approvedeployment' || claims.action === 'rejectdeployment')) {
    const deployment = await api.get<DeploymentJson>(`/projects/${target.project}/deployments/${target.id}`);
    const environment = deployment.environment?.name ?? 'an environment';
    if (deployment.status !== 'blocked') return `The deployment to **${inline(environment, 80)}** is ${inline(deployment.status, 40)}: it no longer waits for approval.`;
    const approvers = await readApprovers(api, target.project, deployment);
    return deploymentDialog(sign(claims), { approve: claims.action === 'approvedeployment', environment: inline(environment, 80), approvers: approvers?.text ?? null });
  }
  return `${BUTTONS[claims.action].label} does not apply to ${describeTarget(target)}.`;
}

/** The answer to someone not connected on `instance` (the default when not given): a link that connects them there. */
export async function notConnected(deps: Pick<ActionDeps, 'pool' | 'publicUrl'>, userId: string, instance: string = DEFAULT_INSTANCE, trigger = 'gitlab'): Promise<string> {
  const url = await connectUrl(deps.pool, deps.publicUrl, userId, instance);
  // Another instance is named (connecting on the default one would not help), with the command that does the same.
  const where = instance === DEFAULT_INSTANCE ? '' : ` on **${instance}**`;
  const command = instance === DEFAULT_INSTANCE ? '' : ` (or \`/${trigger} connect ${instance}\`)`;
  if (!url) return `GitLab actions run as your own GitLab account${where}, and accounts cannot be connected on this bridge yet. Ask your admin.`;
  return `GitLab actions run as your own GitLab account${where}: [connect it](${url})${command} (the link works once, within 10 minutes, in a browser signed in to Mattermost as you), then press again.`;
}

/** Refusals of a genuine context are audited: someone had one of the bridge's buttons in hand. */
async function refuse(deps: ActionDeps, request: PressRequest, log: Logger, reason: string, text: string): Promise<PressAnswer> {
  log.warn({ reason }, 'button press refused');
  deps.count?.('unknown', 'button', `refused_${reason}`);
  // At most one row per person, post and reason every two minutes: pressing on and on adds nothing.
  const key = createHash('sha256').update(['refused', request.userId, request.postId, reason].join('\n')).digest('hex');
  if ((await claimPress(deps.pool, key, 60)).first) {
    await audit(deps.pool, { actor: request.userId, action: 'gitlab.button_refused', target: `post:${request.postId}`, details: { reason, channel: request.channelId } });
  }
  return say(text);
}
