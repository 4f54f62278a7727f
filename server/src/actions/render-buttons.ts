/**
 * A post's buttons as a Mattermost message attachment: each button calls
 * INTERNAL_URL/mattermost/action with a signed context naming the object, the
 * action, the channel the post is in and an expiry. Mattermost never shows a
 * button's `integration` to clients (StripActionIntegrations), so the context
 * stays private. Pure apart from the signer.
 */
import type { Signer } from '../crypto/signed-claims.js';
import { inline } from '../render/text.js';
import { instanceOf, type ActionTarget, type ButtonSpec } from './button-spec.js';
import { BUTTONS, buttonsFor, type ActionName, type Audience } from './buttons.js';

/** How long a post's buttons work; a press after that refreshes them instead of acting. */
export const BUTTON_LIFETIME_MS = 30 * 24 * 3600_000;

export interface ButtonClaims {
  action: ActionName;
  /** With the instance it is on (absent: the default), signed like the rest: a context cannot be turned to another GitLab. */
  target: ActionTarget;
  /** The channel the post is in: a context copied into another channel's post is refused. */
  channel: string;
  audience: Audience;
}

export interface PostAction {
  id: string;
  name: string;
  type: 'button';
  style: string;
  integration: { url: string; context: { claims: string } };
}

export interface PostAttachment {
  fallback: string;
  text?: string;
  actions: PostAction[];
}

export interface ButtonRendering {
  signer: Signer;
  /** INTERNAL_URL/mattermost/action */
  actionUrl: string;
  now: number;
}

/** The attachments to put on a post: none when nothing can be done. */
export function renderButtons(spec: ButtonSpec, audience: Audience, channelId: string, rendering: ButtonRendering): PostAttachment[] {
  const names = buttonsFor(spec, audience);
  const text = describeState(spec, audience);
  if (names.length === 0) return [];
  const expiresAt = rendering.now + BUTTON_LIFETIME_MS;
  const actions = names.map((action): PostAction => {
    const claims: ButtonClaims = { action, target: spec.target, channel: channelId, audience };
    return {
      id: action,
      name: BUTTONS[action].label,
      type: 'button',
      style: BUTTONS[action].style,
      integration: { url: rendering.actionUrl, context: { claims: rendering.signer.sign('button', claims, expiresAt) } },
    };
  });
  return [{ fallback: `GitLab actions: ${names.map((name) => BUTTONS[name].label).join(', ')}`, ...(text ? { text } : {}), actions }];
}

/**
 * A line the post's message does not already carry: where a deployment waits, and who may approve
 * it. In a channel only when anyone who may read the deployment may read that too: the protection
 * rules GitLab shows Maintainers are for the presser's eyes (the dialog, their DMs).
 */
function describeState(spec: ButtonSpec, audience: Audience): string | null {
  const state = spec.state;
  if (state.kind !== 'deployment' || state.status !== 'blocked') return null;
  const shown = state.approvers && (audience === 'direct' || state.approvers.readableBy === 'deployment');
  const who = shown ? ` · may approve: ${state.approvers!.text}` : '';
  return `Waiting for approval to deploy to **${inline(state.environment, 80)}**${who}`;
}

/** Signs a post's buttons as it is made; null when buttons are off for the whole bridge. */
export type ButtonSigner = (spec: ButtonSpec, audience: Audience, channelId: string) => PostAttachment[];

/**
 * `drawsOn`: whether buttons may be drawn for an object on that instance (every button writes, so none on
 * an instance the admin made read-only); by default on every instance.
 */
export function createButtonSigner(signer: Signer, actionUrl: string, now: () => number = Date.now, drawsOn: (instance: string) => boolean = () => true): ButtonSigner {
  return (spec, audience, channelId) => (drawsOn(instanceOf(spec.target)) ? renderButtons(spec, audience, channelId, { signer, actionUrl, now: now() }) : []);
}
