/** Small wording helpers shared by the renderers. */

/** Seconds as GitLab shows them: `45s`, `2m 3s`, `1h 2m 5s`. */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  if (hours) return `${hours}h ${minutes}m ${rest}s`;
  if (minutes) return `${minutes}m ${rest}s`;
  return `${rest}s`;
}

export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}

/** `a`, `a and b`, `a, b and c`. */
export function joinWords(words: string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** GitLab's snake_case values for reading: `script_failure` → `script failure`. */
export function humanise(value: string): string {
  return value.replace(/_/g, ' ');
}

/** Facts of one line, separated by middle dots. */
export function factLine(pieces: Array<string | null | false | undefined>): string | null {
  const kept = pieces.filter((piece): piece is string => typeof piece === 'string' && piece !== '');
  return kept.length ? kept.join(' · ') : null;
}

/** How long ago, as people say it: `just now`, `5 min ago`, `3 h ago`, `2 days ago`. */
export function ago(then: Date, now: Date): string {
  const minutes = Math.round((now.getTime() - then.getTime()) / 60_000);
  if (minutes < 2) return 'just now';
  if (minutes < 120) return `${minutes} min ago`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} h ago`;
  return `${Math.round(minutes / 1440)} days ago`;
}
