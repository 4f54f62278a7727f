/**
 * An emoji as Mattermost draws it in reactions: an image by name (Mattermost
 * serves its own emoji images; its EmojiMap knows the names). The page has no
 * emoji images and the machine no colour emoji font, so the few names the tests
 * use are drawn here; any other name shows as its `:name:`.
 */
import React from 'react';

const DRAWN: Record<string, React.ReactElement> = {
  // ✅: a green rounded square with a white tick.
  white_check_mark: (
    <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
      <rect x="1" y="1" width="18" height="18" rx="4" fill="#3fa64a" />
      <path d="M5.5 10.5l3 3 6-7" fill="none" stroke="#ffffff" strokeWidth="2.4" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  ),
};

export function Emoji({ name }: { name: string }): React.ReactElement {
  return (
    <span className="emoticon" role="img" aria-label={`:${name}:`} title={`:${name}:`}>
      {DRAWN[name] ?? `:${name}:`}
    </span>
  );
}
