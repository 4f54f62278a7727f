/**
 * A post's text as far as Mattermost's markdown goes in the posts the tests
 * show: paragraphs (a line break within one), **bold**, _italics_, `code`,
 * [links](url), bare URLs and @-mentions of users the page knows.
 * Hovering a link shows the registered link tooltips, as in Mattermost.
 */
import React, { useState } from 'react';
import * as ReactDOM from 'react-dom';
import * as ReactRedux from 'react-redux';
import type { Slots } from './registry.js';

// One inline token at a time; the groups say which kind matched.
const INLINE = /\*\*([^*]+)\*\*|(?<![\w*])[_*]([^_*\s][^_*]*)[_*](?![\w*])|`([^`]+)`|\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s<>()]+)|(?<![\w@])@([a-z0-9][a-z0-9._-]*)/gi;

type Profiles = Record<string, { username: string }>;

export function PostText({ text, slots, className = 'post-message' }: { text: string; slots: Slots; className?: string }): React.ReactElement {
  const profiles = ReactRedux.useSelector((state: { entities: { users: { profiles: Profiles } } }) => state.entities.users.profiles);
  const known = new Set(Object.values(profiles).map((profile) => profile.username));
  return (
    <div className={className}>
      {text.split(/\n{2,}/).map((paragraph, index) => (
        <p key={index}>
          {paragraph.split('\n').map((line, lineIndex) => (
            <React.Fragment key={lineIndex}>
              {lineIndex > 0 ? <br /> : null}
              {inline(line, slots, known)}
            </React.Fragment>
          ))}
        </p>
      ))}
    </div>
  );
}

function inline(line: string, slots: Slots, known: Set<string>): React.ReactNode[] {
  const parts: React.ReactNode[] = [];
  let last = 0;
  for (const match of line.matchAll(INLINE)) {
    const at = match.index;
    if (at > last) parts.push(line.slice(last, at));
    const [, bold, italic, code, label, href, bare, mention] = match;
    const key = parts.length;
    if (mention !== undefined) {
      parts.push(...mentionOf(mention, known, key));
      last = at + match[0].length;
      continue;
    }
    if (bold !== undefined) parts.push(<strong key={key}>{inline(bold, slots, known)}</strong>);
    else if (italic !== undefined) parts.push(<em key={key}>{italic}</em>);
    else if (code !== undefined) parts.push(<code key={key}>{code}</code>);
    else if (label !== undefined && href !== undefined) parts.push(<TooltipLink key={key} href={href} slots={slots}>{label}</TooltipLink>);
    else if (bare !== undefined) parts.push(<TooltipLink key={key} href={bare} slots={slots}>{bare}</TooltipLink>);
    last = at + match[0].length;
  }
  if (last < line.length) parts.push(line.slice(last));
  return parts;
}

/**
 * `@name` of a known user as Mattermost's mention link; as it does, trailing dots, dashes and underscores that make
 * no known name are left out of it (utils/text_formatting's mention handling). Unknown names stay text.
 */
function mentionOf(name: string, known: Set<string>, key: number): React.ReactNode[] {
  for (let end = name.length; end > 0; end -= 1) {
    const candidate = name.slice(0, end).toLowerCase();
    if (known.has(candidate)) {
      return [
        <a key={key} className="mention-link" data-mention={candidate} href="#">
          @{name.slice(0, end)}
        </a>,
        name.slice(end),
      ];
    }
    if (!/[._-]$/.test(name.slice(0, end))) break;
  }
  return [`@${name}`];
}

/** Like Mattermost, the tooltip floats in a portal under the link, outside the post's text. */
function TooltipLink({ href, slots, children }: { href: string; slots: Slots; children: React.ReactNode }): React.ReactElement {
  const [overLink, setOverLink] = useState(false);
  const [overTooltip, setOverTooltip] = useState(false);
  const [anchor, setAnchor] = useState<{ left: number; top: number } | null>(null);
  const show = overLink || overTooltip;
  const enter = (event: React.MouseEvent<HTMLAnchorElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    setAnchor({ left: box.left, top: box.bottom + 4 });
    setOverLink(true);
  };
  return (
    <>
      <a href={href} target="_blank" rel="noopener noreferrer" onMouseEnter={enter} onMouseLeave={() => setOverLink(false)}>
        {children}
      </a>
      {show && anchor && slots.linkTooltips.length > 0
        ? ReactDOM.createPortal(
            <div className="link-tooltip" role="tooltip" style={anchor} onMouseEnter={() => setOverTooltip(true)} onMouseLeave={() => setOverTooltip(false)}>
              {slots.linkTooltips.map(({ id, component: Component }) => (
                <Component key={id} href={href} show={show} />
              ))}
            </div>,
            document.body,
          )
        : null}
    </>
  );
}
