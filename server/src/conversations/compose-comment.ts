/**
 * A Mattermost reply as the text of a GitLab comment. Pure.
 *
 * - @-mentions of people who connected GitLab become their GitLab @username;
 *   any other @-mention (and @channel, @all, @here) is shown as code, so it
 *   pings no one in GitLab (where `@all` would reach every project member, and
 *   an unknown name may be someone else's).
 * - A line starting with `/` is escaped: a chat message never runs GitLab quick
 *   actions (`/merge`, `/close`…) by accident.
 * - Attached files are links to the Mattermost post (never copied to GitLab).
 * - A footer links back to the post; its post id also tells the bridge its own
 *   comment apart when GitLab's Note Hook for it arrives (see originPostOf).
 */

export interface CommentParts {
  message: string;
  /** Lower-cased Mattermost usernames → GitLab usernames, for the people mentioned who connected GitLab. */
  gitlabUsernames: ReadonlyMap<string, string>;
  fileNames: readonly string[];
  /** The Mattermost post's permalink. */
  permalink: string;
}

// GitLab takes any `@name` not preceded by a letter or digit for a mention (User.reference_pattern,
// `(?<!\w)@`), even after `@`, `/` or a backtick; a backslash before it only escapes it (`\@` is still `@`).
const MENTION = /(^|[^\w\\])(\\*)@([a-z0-9_][a-z0-9._-]*)/gi;
// Left as written: code GitLab leaves alone (a fence opening a line and closed by a line of its own, as
// quick actions are looked for everywhere else: lib/gitlab/quick_actions/extractor.rb; a one-line code
// span), and web addresses, which GitLab links rather than reads for mentions (`https://host/@name`).
const CODE = /((?<![^\n])```[\s\S]+?\n```(?![^\n])|(?<!\\)`[^`\n]*`|\bhttps?:\/\/[^\s<>()`]+)/;

export function composeComment(parts: CommentParts): string {
  const text = parts.message
    .split(CODE)
    .map((piece, index) => (index % 2 === 1 ? piece : escapeProse(piece, parts.gitlabUsernames)))
    .join('')
    .trim();
  const files = parts.fileNames.map((name) => `📎 [${escapeLinkText(name)}](${parts.permalink})`);
  return [text, files.join('\n'), `<sub>[Sent from Mattermost](${parts.permalink})</sub>`].filter((piece) => piece !== '').join('\n\n');
}

/** The Mattermost usernames a message @-mentions (outside code), lower-cased, without the special ones. */
export function mentionedUsernames(message: string): string[] {
  const names = new Set<string>();
  message.split(CODE).forEach((piece, index) => {
    if (index % 2 === 1) return;
    for (const match of piece.matchAll(MENTION)) {
      const name = trimName(match[3]!);
      if (!SPECIAL.has(name)) names.add(name);
    }
  });
  return [...names];
}

const FOOTER = /\s*<sub>\[Sent from Mattermost\]\([^)\s]*\/pl\/([a-z0-9]{26})\)<\/sub>\s*$/;

/** The Mattermost post a comment's footer names, for telling the bridge's own comments apart. */
export function originPostOf(body: string): string | null {
  return FOOTER.exec(body)?.[1] ?? null;
}

/** A comment's text without the bridge's footer: what chat shows of it (the footer is for GitLab's readers). */
export function withoutFooter(body: string): string {
  return body.replace(FOOTER, '');
}

const SPECIAL = new Set(['channel', 'all', 'here']);

/** Mattermost ends a username before trailing dots ("thanks @alice."). */
function trimName(name: string): string {
  return name.replace(/\.+$/, '').toLowerCase();
}

function escapeProse(prose: string, gitlabUsernames: ReadonlyMap<string, string>): string {
  return prose
    // A backtick left unpaired could pair with one of the code spans below and turn its mention back into text.
    .replace(/(?<!\\)(\\*)`/g, (whole, slashes: string) => (slashes.length % 2 === 0 ? `${slashes}\\\`` : whole))
    .replace(MENTION, (whole, before: string, slashes: string, raw: string) => {
      const name = trimName(raw);
      const rest = raw.slice(name.length);
      const gitlab = SPECIAL.has(name) ? undefined : gitlabUsernames.get(name);
      // An odd backslash would escape the code span's opening backtick.
      const escapes = slashes.length % 2 === 1 ? `${slashes}\\` : slashes;
      return `${before}${escapes}${gitlab ? `@${gitlab}` : `\`@${name}\``}${rest}`;
    })
    .replace(/^(\s*)\//gm, '$1\\/');
}

function escapeLinkText(name: string): string {
  // One line, and no backtick that could pair with another name's and break the links.
  return name.replace(/\s+/g, ' ').replace(/[[\]\\`]/g, (char) => `\\${char}`);
}
