// docs/benchmarks.md is shared by the bench scripts: each owns one section between
// `<!-- bench:<name>:start -->` and `<!-- bench:<name>:end -->`, replaced in place or appended.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const HEADER = '# Benchmarks\n\nEach section is written by the command it names; re-run it to refresh the numbers.\n';

/** The file's text with the named section replaced, or appended when there is none yet. */
export function withSection(current, name, section) {
  const marked = new RegExp(`<!-- bench:${name}:start -->[\\s\\S]*<!-- bench:${name}:end -->`);
  return marked.test(current) ? current.replace(marked, () => section) : `${current.trimEnd()}\n\n${section}\n`;
}

export function writeSection(root, name, section) {
  const file = path.join(root, 'docs/benchmarks.md');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : HEADER;
  writeFileSync(file, withSection(current, name, section));
}
