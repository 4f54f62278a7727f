/**
 * A post redrawn after an action: its buttons for the object's state now, and
 * its status line (a thread root's `Status: …` paragraph is replaced; a post
 * without one gets one). Pure apart from the button signer.
 */
import type { ActionTarget, ButtonState } from './button-spec.js';
import type { Audience } from './buttons.js';
import type { ButtonSigner, PostAttachment } from './render-buttons.js';

const STATUS_PARAGRAPH = /\n\nStatus: [^\n]*$/;

export interface Redrawn {
  message: string;
  props: Record<string, unknown>;
}

export function redrawPost(
  post: { message: string; props: Record<string, unknown> },
  now: { target: ActionTarget; state: ButtonState; statusLine: string | null },
  place: { audience: Audience; channelId: string },
  sign: ButtonSigner,
): Redrawn {
  const attachments: PostAttachment[] = sign({ target: now.target, state: now.state }, place.audience, place.channelId);
  let message = post.message;
  // The same paragraph delivery puts on a thread root after a reply: replaced, or added once.
  if (now.statusLine) message = STATUS_PARAGRAPH.test(message) ? message.replace(STATUS_PARAGRAPH, `\n\n${now.statusLine}`) : `${message}\n\n${now.statusLine}`;
  return { message, props: { ...post.props, attachments } };
}

/** The post without buttons (buttons turned off by the admin). */
export function withoutButtons(post: { message: string; props: Record<string, unknown> }): Redrawn {
  return { message: post.message, props: { ...post.props, attachments: [] } };
}
