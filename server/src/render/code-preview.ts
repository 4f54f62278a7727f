/**
 * The bot's reply with the code of GitLab code links (previews/fetch-code.ts
 * snippets): for each, where it comes from, the code in a fence with its
 * language, and a link to the lines at the commit read. Pure.
 *
 * The code is GitLab text too, so it must neither break out of its fence nor
 * ping anyone. The fence is longer than any run of backticks in the code, so no
 * line of it can close the block (CommonMark: a closing fence is at least as
 * long as the opening one). Mattermost finds no mentions in code blocks: its
 * server blanks them out first (removeCodeFromMessage, server/channels/app/
 * notification.go), but its pattern ends a block at the first line holding
 * exactly three backticks or tildes, wherever the real fence ends. Code with
 * such a line (a Markdown file, say) would leave the lines after it to the
 * mention parser, so its mentions are broken up; other code is kept as it is,
 * so that it can be copied.
 */
import type { CodeSnippet } from '../previews/fetch-code.js';
import { plural } from './format.js';
import { link } from './links.js';
import { code, neutraliseMentions } from './text.js';

/** Characters of code per snippet, so that three fit well within Mattermost's post limit (16383). */
export const MAX_CODE_CHARS = 4000;

/** Where Mattermost's mention stripper stops early (see above). */
const EARLY_FENCE_END = /^[^\S\n]*[`~]{3}$/;

export function renderCodePreviews(snippets: readonly CodeSnippet[]): string {
  const shortened = snippets.map(fitSnippet);
  const guard = shortened.some((snippet) => snippet.lines.some((line) => EARLY_FENCE_END.test(line)));
  return shortened.map((snippet) => renderOne(snippet, guard)).join('\n\n');
}

function renderOne(snippet: CodeSnippet, guardMentions: boolean): string {
  const lines = guardMentions ? snippet.lines.map(neutraliseMentions) : snippet.lines;
  const body = lines.join('\n');
  const longestRun = Math.max(0, ...[...body.matchAll(/`+/g)].map((run) => run[0].length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  const range = snippet.endLine > snippet.startLine ? `lines ${snippet.startLine}–${snippet.endLine}` : `line ${snippet.startLine}`;
  const where = `${link(code(snippet.path, 200), snippet.permalink)} ${range} in ${code(snippet.project, 200)}`;
  const at = snippet.ref === snippet.commitId ? `at ${code(snippet.commitId.slice(0, 8))}` : `on ${code(snippet.ref)} at ${code(snippet.commitId.slice(0, 8))}`;
  const parts = [`${where}, ${at}`, `${fence}${snippet.language}`, body, fence];
  if (snippet.moreLines > 0) parts.push(`${plural(snippet.moreLines, 'more line')}: ${link('see them in GitLab', snippet.permalink)}`);
  return parts.join('\n');
}

/** The snippet with lines dropped from its end (and counted as more) until its code fits MAX_CODE_CHARS. */
function fitSnippet(snippet: CodeSnippet): CodeSnippet {
  let chars = 0;
  let kept = 0;
  for (const line of snippet.lines) {
    if (chars + line.length + 1 > MAX_CODE_CHARS && kept > 0) break;
    chars += line.length + 1;
    kept += 1;
  }
  if (kept === snippet.lines.length) return snippet;
  const dropped = snippet.lines.length - kept;
  return { ...snippet, lines: snippet.lines.slice(0, kept), endLine: snippet.endLine - dropped, moreLines: snippet.moreLines + dropped };
}
