/** GitLab webhook payloads copied from the shared fixtures (test/fixtures/gitlab/webhooks/INDEX.md says where each comes from). */
import { readFileSync } from 'node:fs';

const DIR = new URL('../fixtures/gitlab/webhooks/', import.meta.url);

export function webhookFixture(name: string): { body: string; event: string } {
  const body = readFileSync(new URL(name, DIR), 'utf8');
  const index = readFileSync(new URL('INDEX.md', DIR), 'utf8');
  const event = new RegExp(`^- \`${name.replace('.', '\\.')}\` — \`X-Gitlab-Event: ([^\`]+)\``, 'm').exec(index)?.[1];
  if (!event) throw new Error(`INDEX.md names no X-Gitlab-Event for ${name}`);
  return { body, event };
}
