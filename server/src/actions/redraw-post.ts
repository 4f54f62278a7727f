/**
 * A post redrawn after an action: its buttons for the object's state now, and
 * its status line (a thread root's `Status: …` paragraph is replaced; a post
 * without one gets it under its buttons). Pure apart from the button signer.
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
  if (now.statusLine) {
    if (STATUS_PARAGRAPH.test(message)) message = message.replace(STATUS_PARAGRAPH, `\n\n${now.statusLine}`);
    else if (attachments[0]) attachments[0] = { ...attachments[0], text: attachments[0].text ? `${now.statusLine}\n${attachments[0].text}` : now.statusLine };
    else attachments.push({ fallback: now.statusLine, text: now.statusLine, actions: [] });
  }
  return { message, props: { ...post.props, attachments } };
}

/** The post without buttons (buttons turned off by the admin). */
export function withoutButtons(post: { message: string; props: Record<string, unknown> }): Redrawn {
  return { message: post.message, props: { ...post.props, attachments: [] } };
}
