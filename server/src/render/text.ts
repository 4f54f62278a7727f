/**
 * Making GitLab text safe to post in Mattermost: nobody can be pinged, and no
 * link, image or HTML can be forged from a title, name or comment. Every piece
 * of GitLab text goes through one of `inline`, `code` or `excerpt` (or the two
 * primitives below) before it reaches a message.
 */

/**
 * A zero-width space after `@` stops Mattermost from seeing a mention. Its
 * server splits words on every character that is not a letter, digit or one of
 * `@ . - _ :` (mention_parser_standard.go), so `@\u200Bchannel` becomes the
 * words `@` and `channel`, neither of which notifies anyone; the webapp's
 * highlighting needs `@` directly followed by the name too. The text still
 * reads the same.
 */
const MENTION_BREAK = '\u200B';

export function neutraliseMentions(text: string): string {
  return text.replace(/@(?=[\p{L}\p{N}_.\-:])/gu, `@${MENTION_BREAK}`);
}

/**
 * Escapes everything that could turn inline text into markup: links and images
 * (`[`, `]`, `(`, `)`), autolinks and HTML (`<`, `>`), emphasis and code
 * (`*`, `_`, `` ` ``, `~`, which also starts a Mattermost channel link), tables
 * (`|`), entities (`&`) and the backslash itself; line breaks become spaces.
 * (`#` and list markers only matter at the start of a line: see guardLineStart.)
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').replace(/[\\`*_[\]()<>~|&]/g, '\\$&');
}

/** A line that starts with GitLab text (an unlinked name) must not become a heading or a list item. */
export function guardLineStart(line: string): string {
  return line.replace(/^(\s*)(?:([#+\-=])|(\d+)(?=[.)]))/, (_, space: string, marker?: string, digits?: string) =>
    marker ? `${space}\\${marker}` : `${space}${digits}\\`,
  );
}

/** GitLab text for use inline (titles, names, labels…): one line, at most `max` characters, escaped, no mentions. */
export function inline(text: string, max = 200): string {
  return escapeMarkdown(neutraliseMentions(truncate(oneLine(text), max)));
}

/** GitLab text (branch, tag, job, environment names) as inline code: nothing inside code is markup. */
export function code(text: string, max = 100): string {
  const inner = neutraliseMentions(truncate(oneLine(text), max)).replace(/`/g, "'");
  return `\`${inner || ' '}\``;
}

export interface ExcerptLimits {
  maxChars: number;
  maxLines: number;
}

/**
 * The start of a description, comment or release note, safe to post: at most
 * `maxLines` lines and `maxChars` characters, `…` when cut. Emphasis (`*`, `_`,
 * `~~`) is kept; links, images, autolinks, HTML, entities, code, tables,
 * headings and mentions are not.
 */
export function excerpt(text: string, limits: ExcerptLimits): string {
  const lines = text
    .replace(/\r\n?/g, '\n')
    .replace(/<!--[\s\S]*?-->/g, '')
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line, index, all) => line !== '' || (index > 0 && all[index - 1] !== ''));
  while (lines.length && lines[0] === '') lines.shift();
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  let kept = lines.slice(0, limits.maxLines).join('\n');
  let cut = lines.length > limits.maxLines;
  if (kept.length > limits.maxChars) {
    kept = truncate(kept, limits.maxChars, '');
    cut = true;
  }
  const safe = kept
    .split('\n')
    .map((line) =>
      neutraliseMentions(line)
        .replace(/[\\[\]<>`|&]/g, '\\$&')
        .replace(/^(\s*)(#)/, '$1\\$2'),
    )
    .join('\n');
  return cut ? `${safe.trimEnd()}…` : safe;
}

/** Markdown block quote of already-safe text. */
export function quote(text: string): string {
  return text
    .split('\n')
    .map((line) => (line ? `> ${line}` : '>'))
    .join('\n');
}

export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** At most `max` characters, cut at a word boundary when one is near, ending in `ellipsis`. */
export function truncate(text: string, max: number, ellipsis = '…'): string {
  if (text.length <= max) return text;
  const hard = text.slice(0, max);
  const space = hard.search(/\s\S*$/);
  return `${(space > max * 0.7 ? hard.slice(0, space) : hard).trimEnd()}${ellipsis}`;
}
