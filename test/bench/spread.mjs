// Repeated bench runs: median and spread (min–max) of each measure, and which build was measured.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** The median of the finite values (the mean of the middle two for an even count); NaN when there are none. */
export function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** { median, min, max, n } of the finite values. */
export function spread(values) {
  const finite = values.filter(Number.isFinite);
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), n: finite.length };
}

/** "12.3 (min 10.1, max 15.0)", or just the value when there was one run; `format` renders each number. */
export function showSpread(values, format) {
  const { median: middle, min, max, n } = spread(values);
  if (n === 0) return 'n/a';
  if (n === 1) return format(middle);
  return `${format(middle)} (${format(min)}–${format(max)})`;
}

/**
 * The build a `gitlab-bridge.js` belongs to: its checkout's commit, and whether that checkout's server sources
 * differ from the commit (the build is then of uncommitted changes).
 */
export function describeBuild(bin) {
  const checkout = path.resolve(path.dirname(bin), '../..');
  try {
    const commit = execFileSync('git', ['-C', checkout, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const changed = execFileSync('git', ['-C', checkout, 'status', '--porcelain', '--', 'server'], { encoding: 'utf8' }).trim() !== '';
    return { checkout, commit, label: changed ? `${commit} with uncommitted changes` : commit };
  } catch {
    return { checkout, commit: null, label: checkout };
  }
}
