/**
 * A post's `props.attachments` as Mattermost's webapp draws them
 * (components/post_view/message_attachments: message_attachment.tsx and
 * action_button.tsx): a box with a bar on its left (the attachment's colour when
 * it gives a hex one), its text as markdown, then its buttons in a row.
 *
 * A button's style names a colour: good, warning and success fixed ones, danger,
 * default and primary the theme's error text, text and button colours; else a theme
 * key or a hex colour. The label is in that colour on an 8% tint of it (12% hovered,
 * 16% pressed); a button without a style is a plain `btn btn-sm`. Pressing one is
 * what the webapp's doPostActionWithCookie does: Client4's POST
 * /api/v4/posts/{post_id}/actions/{action_id} with the session cookie and the CSRF
 * header. What the press changes comes back as the WebSocket's events, not in the answer.
 */
import { Client4 } from '@mattermost/client';
import React from 'react';
import type { Theme } from 'mattermost-redux/selectors/entities/preferences';
import { changeOpacity } from 'mattermost-redux/utils/theme_utils';
import { PostText } from './post-text.js';
import type { Slots } from './registry.js';

interface PostAction {
  id?: string;
  name?: string;
  type?: string;
  style?: string;
  cookie?: string;
}

interface MessageAttachment {
  fallback?: string;
  color?: string;
  text?: string;
  actions?: PostAction[];
}

const client = new Client4();
client.setUrl(window.location.origin);

export function MessageAttachments({ postId, props, slots, theme }: { postId: string; props: Record<string, unknown> | undefined; slots: Slots; theme: Theme }): React.ReactElement | null {
  const attachments = Array.isArray(props?.attachments) ? (props.attachments as MessageAttachment[]) : [];
  if (attachments.length === 0) return null;
  return (
    <div className="attachments">
      {attachments.map((attachment, index) => (
        <Attachment key={index} postId={postId} attachment={attachment} slots={slots} theme={theme} />
      ))}
    </div>
  );
}

function Attachment({ postId, attachment, slots, theme }: { postId: string; attachment: MessageAttachment; slots: Slots; theme: Theme }): React.ReactElement {
  const bar = attachment.color?.startsWith('#') ? { borderLeftColor: attachment.color } : undefined;
  // As the webapp: an action needs an id and a name to be drawn.
  const actions = (attachment.actions ?? []).filter((action) => action.id && action.name);
  return (
    <div className="attachment">
      <div className="attachment__content" style={bar}>
        {attachment.text ? <PostText text={attachment.text} slots={slots} className="attachment__text" /> : null}
        {actions.length > 0 ? (
          <div className="attachment-actions">
            {actions.map((action) => (
              <ActionButton key={action.id} postId={postId} action={action} theme={theme} />
            ))}
          </div>
        ) : null}
      </div>
    </div>
  );
}

function ActionButton({ postId, action, theme }: { postId: string; action: PostAction; theme: Theme }): React.ReactElement {
  const color = action.style ? colourOf(action.style, theme) : null;
  const tints = color ? ({ color, '--tint': changeOpacity(color, 0.08), '--tint-hover': changeOpacity(color, 0.12), '--tint-active': changeOpacity(color, 0.16) } as React.CSSProperties) : undefined;
  const press = () => {
    client.doPostActionWithCookie(postId, action.id!, action.cookie ?? '').catch((error: unknown) => console.error(`the press of ${action.id} failed: ${String(error)}`));
  };
  return (
    <button type="button" className={color ? 'btn btn-sm btn-tinted' : 'btn btn-sm'} style={tints} data-action-id={action.id} onClick={press}>
      {action.name}
    </button>
  );
}

function colourOf(style: string, theme: Theme): string | null {
  const named: Record<string, string> = {
    good: '#339970',
    warning: '#CC8F00',
    danger: theme.errorTextColor,
    default: theme.centerChannelColor,
    primary: theme.buttonBg,
    success: '#339970',
  };
  const fromTheme = (theme as unknown as Record<string, unknown>)[style];
  return (Object.hasOwn(named, style) ? named[style] : undefined) ?? (typeof fromTheme === 'string' ? fromTheme : null) ?? (/^#(?:[0-9a-fA-F]{3}){1,2}$/.test(style) ? style : null);
}
