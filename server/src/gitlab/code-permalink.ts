/**
 * GitLab code links with lines (`<project>/-/blob/<ref>/<path>#L10-25`) in a
 * message, for code previews. Pure: it says what a link asks for; GitLab is
 * asked elsewhere (previews/fetch-code.ts).
 *
 * `<ref>/<path>` cannot be split by looking at it: a branch may hold slashes
 * (`feature/login/src/app.ts`). GitLab's web routes decide with the project's
 * refs (ExtractsRef::RefExtractor#extract_ref, lib/extracts_ref/ref_extractor.rb):
 * a 40- or 64-hex SHA is the ref; else the first segment when it is a branch or
 * tag; else the longest branch or tag the text starts with. The bridge has no
 * list of refs, so it hands on the splits in the order to try them against the
 * files API (whose "404 Commit Not Found" says a ref does not exist, while
 * "404 File Not Found" says it does): first segment first, then longer refs.
 * Git cannot hold a branch `a` beside a branch `a/b` (one is a file, the other a
 * directory, under refs/heads), so this order finds the ref GitLab finds, unless
 * a tag and a branch share such a prefix.
 */

export interface CodeLink {
  /** The link as written in the message. */
  url: string;
  /** The project's full path as written (GitLab paths are case-insensitive), any group depth. */
  project: string;
  /** Where `<ref>/<path>` may be split, in the order to try; one entry for a SHA or a one-segment file. */
  splits: { ref: string; path: string }[];
  startLine: number;
  /** Equal to startLine for a single line. */
  endLine: number;
}

/** A message rarely means more; each one costs GitLab requests. */
export const MAX_LINKS_PER_MESSAGE = 3;
/** Refs with more slashes than this are not tried: each try is a request. */
const MAX_SPLITS = 5;
/** Line numbers beyond any real file: a typo or a trick, not a link to follow. */
const MAX_LINE = 10_000_000;

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
/** GitLab writes `#L10-25`; `#L10-L25` is what GitHub writes and people paste. */
const ANCHOR = /^L(\d{1,9})(?:-L?(\d{1,9}))?$/;
/**
 * Candidate URLs in text: up to a line anchor (group 1 holds what follows `://`).
 * Brackets, parentheses, quotes and angle brackets end a URL, as Markdown links
 * and autolinks put them around one. Without an anchor, the second branch eats
 * the rest of the word: no later `http://` in it can reach an anchor either, and
 * trying each one again would be quadratic in a long word of them.
 */
const CANDIDATE = /https?:\/\/(?:([^\s<>()[\]{}"'`|\\]+?#L\d+(?:-L?\d+)?(?![\d\w-]))|[^\s<>()[\]{}"'`|\\]*)/gi;

/** The code links in a Mattermost message, first ones first, each once; links inside code are quoted, not meant. */
export function findCodeLinks(message: string, gitlabUrl: string, max = MAX_LINKS_PER_MESSAGE): CodeLink[] {
  const text = withoutCode(message);
  const found: CodeLink[] = [];
  const seen = new Set<string>();
  for (const match of text.matchAll(CANDIDATE)) {
    if (found.length >= max) break;
    if (match[1] === undefined) continue;
    const link = parseCodeLink(match[0], gitlabUrl);
    if (!link) continue;
    const key = `${link.project.toLowerCase()}\n${link.splits[0]!.ref}/${link.splits[0]!.path}\n${link.startLine}-${link.endLine}`;
    if (seen.has(key)) continue;
    seen.add(key);
    found.push(link);
  }
  return found;
}

/**
 * The code links of any of several GitLabs (`instances`, each with its URL), first ones in the message first,
 * each with the instance it is on. A link two could read (one GitLab at a path under another's host:
 * https://host and https://host/corp) is the one with the longer root's, as gitlab/instances.ts byUrl decides.
 */
export function findInstanceCodeLinks<T extends { url: string }>(message: string, instances: readonly T[], max = MAX_LINKS_PER_MESSAGE): (CodeLink & { instance: T })[] {
  const rootLength = (instance: T) => new URL(instance.url).pathname.replace(/\/+$/, '').length;
  const found = instances.flatMap((instance) => findCodeLinks(message, instance.url).map((link) => ({ ...link, instance })));
  const text = withoutCode(message);
  return found
    .filter((link) => !found.some((other) => other.url === link.url && rootLength(other.instance) > rootLength(link.instance)))
    .sort((a, b) => text.indexOf(a.url) - text.indexOf(b.url))
    .slice(0, max);
}

/** One URL as a code link of the bridge's GitLab (`gitlabUrl`, which may have a path such as `/gitlab`), or null. */
export function parseCodeLink(input: string, gitlabUrl: string): CodeLink | null {
  let url: URL;
  let base: URL;
  try {
    url = new URL(input.trim());
    base = new URL(gitlabUrl);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  // Another host is not our GitLab: its code is not ours to fetch, and its links are not ours to answer.
  if (url.host.toLowerCase() !== base.host.toLowerCase() || url.username || url.password) return null;
  const lines = readAnchor(url.hash);
  if (!lines) return null;
  const root = base.pathname.replace(/\/+$/, '');
  if (root && !url.pathname.toLowerCase().startsWith(`${root.toLowerCase()}/`)) return null;
  const path = url.pathname.slice(root.length);
  const marker = path.indexOf('/-/blob/');
  if (marker < 0) return null;
  const project = decodeSegments(path.slice(1, marker));
  const rest = decodeSegments(path.slice(marker + '/-/blob/'.length));
  if (!project || !rest) return null;
  // A project lives in a group or under a user: one segment is never a project.
  if (project.length < 2 || !project.every((segment) => SEGMENT.test(segment)) || project[0]!.toLowerCase() === 'groups') return null;
  const splits = splitRef(rest);
  if (splits.length === 0) return null;
  return { url: input.trim(), project: project.join('/'), splits, ...lines };
}

/** Where `<ref>/<path>` may be split (see the top of this file). */
export function splitRef(segments: readonly string[]): { ref: string; path: string }[] {
  if (segments.length < 2) return [];
  if (SHA.test(segments[0]!)) return [{ ref: segments[0]!.toLowerCase(), path: segments.slice(1).join('/') }];
  const splits: { ref: string; path: string }[] = [];
  for (let cut = 1; cut < segments.length && cut <= MAX_SPLITS; cut += 1) {
    splits.push({ ref: segments.slice(0, cut).join('/'), path: segments.slice(cut).join('/') });
  }
  return splits;
}

function readAnchor(hash: string): { startLine: number; endLine: number } | null {
  const match = ANCHOR.exec(hash.slice(1));
  if (!match) return null;
  const first = Number(match[1]);
  const last = match[2] === undefined ? first : Number(match[2]);
  if (first < 1 || last < 1 || first > MAX_LINE || last > MAX_LINE) return null;
  return { startLine: Math.min(first, last), endLine: Math.max(first, last) };
}

/** Percent-decoded path segments; null for an empty, `.` or `..` segment or a bad escape. */
function decodeSegments(text: string): string[] | null {
  const segments = text.replace(/\/+$/, '').split('/');
  const decoded: string[] = [];
  for (const segment of segments) {
    let value: string;
    try {
      value = decodeURIComponent(segment);
    } catch {
      return null;
    }
    if (value === '' || value === '.' || value === '..' || [...value].some((char) => char.charCodeAt(0) < 0x20)) return null;
    decoded.push(value);
  }
  return decoded;
}

/**
 * The message with fenced code blocks and code spans blanked out (`` ```…``` ``,
 * `~~~…~~~`, `` `…` ``): a link quoted as code is shown, not offered for a preview.
 * Linear in the message, which any post the bot sees can make 65,535 characters
 * of backticks: a fence or span opens with a whole run of backticks or tildes,
 * never part of one (the lookarounds), so no run is tried at every length. A span
 * closes at the next run of its length, as in CommonMark; runs longer than 32
 * are taken as text, which no one writes around a link.
 */
function withoutCode(message: string): string {
  return message
    .replace(/^[ \t]*(`{3,}(?!`)|~{3,}(?!~))[^\n]*\n[\s\S]*?(?:\n[ \t]*\1[`~]*[ \t]*(?=\n|$)|(?![\s\S]))/gm, ' ')
    .replace(/(?<!`)(`{1,32})(?!`)[\s\S]*?(?<!`)\1(?!`)/g, ' ');
}
