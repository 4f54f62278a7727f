/**
 * Who GitLab text @-mentions, as GitLab reads it: `@username` outside code,
 * not inside an e-mail address or a URL path. `@all` and group paths
 * (`@group/sub`) address many people; personal notifications are about one
 * person, so they are left out.
 */

const FENCE = /^\s*(```|~~~)/;
const INLINE_CODE = /`[^`\n]*`/g;
// GitLab usernames: letters, digits, `_`, `-`, `.`; never ending in `.` (a sentence's full stop).
const MENTION = /(?<![\p{L}\p{N}_.@/\\-])@([\p{L}\p{N}_][\p{L}\p{N}_.-]*)(?![\p{L}\p{N}_/])/gu;

/** Lower-cased usernames, each once, in order of appearance. */
export function mentionedUsernames(text: string): string[] {
  const prose = withoutCodeBlocks(text).replace(INLINE_CODE, ' ');
  const found = new Set<string>();
  for (const match of prose.matchAll(MENTION)) {
    const name = match[1]!.replace(/[.-]+$/, '').toLowerCase();
    if (name && name !== 'all') found.add(name);
  }
  return [...found];
}

/** Mentions in `after` that `before` did not have: an edit notifies only the people it added. */
export function newMentions(before: string | null, after: string): string[] {
  const old = new Set(before === null ? [] : mentionedUsernames(before));
  return mentionedUsernames(after).filter((name) => !old.has(name));
}

/** The text with fenced code blocks blanked out (an unclosed fence runs to the end, as in GitLab). */
function withoutCodeBlocks(text: string): string {
  let fence: string | null = null;
  return text
    .split(/\r?\n/)
    .map((line) => {
      const marker = FENCE.exec(line)?.[1];
      if (fence === null && marker) fence = marker;
      else if (fence !== null && marker === fence) fence = null;
      else if (fence === null) return line;
      return '';
    })
    .join('\n');
}
