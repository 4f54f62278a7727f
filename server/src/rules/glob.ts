/** Path and branch globs: `*` stays within one path segment, `**` crosses them. */

export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === '*' && glob[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'i');
}

export function matchesGlob(value: string, globs: readonly string[]): boolean {
  return globs.some((glob) => globToRegExp(glob).test(value));
}

/**
 * True when the path or one of its ancestors matches: excluding `group/legacy/*`
 * excludes `group/legacy/tools` and everything below it.
 */
export function pathOrAncestorMatches(path: string, globs: readonly string[]): boolean {
  const segments = path.split('/');
  for (let length = segments.length; length > 0; length--) {
    if (matchesGlob(segments.slice(0, length).join('/'), globs)) return true;
  }
  return false;
}
