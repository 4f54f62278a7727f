/**
 * The lines a code link points at, read from GitLab as one user:
 * GET /projects/:id/repository/files/:file_path?ref= (lib/api/files.rb), whose
 * answer carries the whole file in base64 with the commit the ref named
 * (`commit_id`). GitLab's own permission check (read_code) decides what the
 * token's owner may read; a refusal and a missing file look alike here. At most
 * MAX_LINES lines are kept, pinned to that commit, so the link shown goes on
 * pointing at the same code after the branch moves.
 */
import type { CodeLink } from '../gitlab/code-permalink.js';
import { GitLabHttpError, type PollClient } from '../gitlab/poll-client.js';
import { codeLanguage } from './code-language.js';
import type { FoundProject } from './find-project.js';

/** Lines shown of a longer range; the rest are counted and linked. */
export const MAX_LINES = 30;
/** Larger files are not previewed: GitLab sends the whole file, and a preview needs a few lines of it. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** A longer line (minified code, data) is cut: a preview is for reading. */
export const MAX_LINE_CHARS = 500;
/** Git's own test for binary content: a NUL byte within the first 8000 bytes (xdiff's buffer_is_binary). */
const BINARY_PROBE_BYTES = 8000;
const LFS_POINTER = 'version https://git-lfs.github.com/spec/';

export interface CodeSnippet {
  /** The project's full path: as found (find-project.ts) when the read was by id, else as the link wrote it. */
  project: string;
  path: string;
  fileName: string;
  /** The ref the link named (a branch, tag or SHA). */
  ref: string;
  /** The commit GitLab read the file at. */
  commitId: string;
  /** Mattermost's name for the language, or '' (code-language.ts). */
  language: string;
  startLine: number;
  /** The last line shown. */
  endLine: number;
  lines: string[];
  /** Lines the link asked for beyond those shown. */
  moreLines: number;
  /** The lines the link asked for (within the file), at `commitId`. */
  permalink: string;
}

export type CodeRead =
  | { ok: true; snippet: CodeSnippet }
  /** `not_found`: no such project, ref or file, or not the caller's to read. The others are said only to a reader. */
  | { ok: false; reason: 'not_found' | 'too_large' | 'not_text' | 'no_such_lines' };

/** A file as read for previews: all that any range of its lines needs. */
export interface CodeFile {
  /** As in CodeSnippet. */
  project: string;
  path: string;
  fileName: string;
  ref: string;
  commitId: string;
  /** Without their line ends. */
  lines: string[];
}

export type FileRead = { ok: true; file: CodeFile } | { ok: false; reason: 'not_found' | 'too_large' | 'not_text' };

interface FileJson {
  file_name?: unknown;
  file_path?: unknown;
  size?: unknown;
  encoding?: unknown;
  content?: unknown;
  commit_id?: unknown;
}

/** Reads the link's lines with `token` (readCodeFile, then cutSnippet). */
export async function fetchCode(gitlab: Pick<PollClient, 'get'>, token: string, link: CodeLink, gitlabUrl: string, project?: FoundProject): Promise<CodeRead> {
  const read = await readCodeFile(gitlab, token, link, project);
  return read.ok ? cutSnippet(read.file, link, gitlabUrl) : read;
}

/**
 * Reads the file a link names with `token`: in `project` (by its id) when given, else in the project the link
 * names. GitLab's refusals (404, 403) and a moved project's redirect (301, see find-project.ts) are `not_found`;
 * anything else (rate limits, an unreachable GitLab, a token GitLab no longer takes) is thrown as the client
 * throws it.
 */
export async function readCodeFile(gitlab: Pick<PollClient, 'get'>, token: string, link: CodeLink, project?: FoundProject): Promise<FileRead> {
  const segment = project ? String(project.id) : encodeURIComponent(link.project);
  for (const split of link.splits) {
    let body: FileJson;
    try {
      ({ body } = await gitlab.get<FileJson>(token, `/projects/${segment}/repository/files/${encodeURIComponent(split.path)}`, { ref: split.ref }));
    } catch (error) {
      if (!(error instanceof GitLabHttpError) || !(error.status === 404 || error.status === 403 || (error.status >= 300 && error.status < 400))) throw error;
      // No such ref: the ref may be longer (a branch with slashes). Anything else ends the search (code-permalink.ts).
      if (error.status === 404 && /commit not found/i.test(error.gitlabMessage)) continue;
      return { ok: false, reason: 'not_found' };
    }
    return decodeFile(body, project?.path ?? link.project, split);
  }
  return { ok: false, reason: 'not_found' };
}

/** GitLab's answer as a file of lines. Pure. */
export function decodeFile(body: FileJson, project: string, split: { ref: string; path: string }): FileRead {
  const commitId = typeof body.commit_id === 'string' && /^[0-9a-f]{40,64}$/i.test(body.commit_id) ? body.commit_id.toLowerCase() : null;
  if (!commitId || typeof body.content !== 'string') return { ok: false, reason: 'not_found' };
  const size = typeof body.size === 'number' ? body.size : null;
  // The base64 text is a third larger than the file: checked before decoding, whatever `size` says.
  if ((size !== null && size > MAX_FILE_BYTES) || body.content.length > Math.ceil(MAX_FILE_BYTES / 3) * 4 + 4) return { ok: false, reason: 'too_large' };
  const text = decodeText(body.content, body.encoding === 'text' ? 'text' : 'base64');
  if (text === null || text.startsWith(LFS_POINTER)) return { ok: false, reason: 'not_text' };

  const lines = text.split(/\r\n|\n|\r/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const path = typeof body.file_path === 'string' && body.file_path ? body.file_path : split.path;
  const fileName = typeof body.file_name === 'string' && body.file_name ? body.file_name : (path.split('/').pop() ?? path);
  return { ok: true, file: { project, path, fileName, ref: split.ref, commitId, lines } };
}

/** A file cut to the lines a link asks for, at most MAX_LINES of them. Pure. */
export function cutSnippet(file: CodeFile, range: Pick<CodeLink, 'startLine' | 'endLine'>, gitlabUrl: string): CodeRead {
  const all = file.lines;
  if (range.startLine > all.length) return { ok: false, reason: 'no_such_lines' };
  const lastAsked = Math.min(range.endLine, all.length);
  const endLine = Math.min(lastAsked, range.startLine + MAX_LINES - 1);
  const lines = all.slice(range.startLine - 1, endLine).map((line) => (line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line));
  const anchor = lastAsked > range.startLine ? `#L${range.startLine}-${lastAsked}` : `#L${range.startLine}`;
  return {
    ok: true,
    snippet: {
      project: file.project,
      path: file.path,
      fileName: file.fileName,
      ref: file.ref,
      commitId: file.commitId,
      language: codeLanguage(file.path),
      startLine: range.startLine,
      endLine,
      lines,
      moreLines: lastAsked - endLine,
      permalink: `${gitlabUrl.replace(/\/+$/, '')}/${encodePath(file.project)}/-/blob/${file.commitId}/${encodePath(file.path)}${anchor}`,
    },
  };
}

/** UTF-8 text, or null for binary content (a NUL byte, or bytes that are not UTF-8). */
function decodeText(content: string, encoding: 'base64' | 'text'): string | null {
  if (encoding === 'text') return content.includes('\u0000') ? null : content;
  const bytes = Buffer.from(content, 'base64');
  if (bytes.subarray(0, BINARY_PROBE_BYTES).includes(0)) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    return null;
  }
}

/** Each segment percent-encoded, slashes kept: a path as GitLab's web routes take it. */
function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
