/** GitLab webhook payloads copied from the shared fixtures (test/fixtures/gitlab/webhooks/INDEX.md says where each comes from). */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIgnored, type GitLabEvent } from '../../server/src/gitlab/events/event.js';
import { parseEvent } from '../../server/src/gitlab/events/parse-event.js';

const DIR = new URL('../fixtures/gitlab/webhooks/', import.meta.url);

export function webhookFixture(name: string): { body: string; event: string } {
  const body = readFileSync(new URL(name, DIR), 'utf8');
  const index = readFileSync(new URL('INDEX.md', DIR), 'utf8');
  const event = new RegExp(`^- \`${name.replace('.', '\\.')}\` — \`X-Gitlab-Event: ([^\`]+)\``, 'm').exec(index)?.[1];
  if (!event) throw new Error(`INDEX.md names no X-Gitlab-Event for ${name}`);
  return { body, event };
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** An edit that moves a fixture's event into another project, which the payload calls public. */
export function intoPublicProject(project: { id: number; path: string }): (payload: Json) => void {
  return (payload) => {
    payload.project.id = project.id;
    payload.project.path_with_namespace = project.path;
    payload.project.web_url = `http://example.com/${project.path}`;
    payload.project.visibility_level = 20;
    if (payload.object_attributes?.target_project_id !== undefined) payload.object_attributes.target_project_id = project.id;
  };
}

/** A fixture's payload, changed by `edit`, parsed as the bridge does (optionally with another action). */
export function fixtureEvent(name: string, edit: (payload: Json) => void = () => undefined, action?: GitLabEvent['action']): GitLabEvent {
  const fixture = webhookFixture(name);
  const payload = JSON.parse(fixture.body) as Json;
  edit(payload);
  const parsed = parseEvent(fixture.event, payload);
  if (isIgnored(parsed)) throw new Error(`${name} parsed as ignored: ${parsed.ignored}`);
  return action ? { ...parsed, action } : parsed;
}

/** Posts a fixture, changed by `edits`, to a bridge's webhook door as GitLab 17.4+ would (its own Idempotency-Key); returns the status. */
export async function sendFixture(publicUrl: string, secret: string, name: string, ...edits: ((payload: Json) => void)[]): Promise<number> {
  return sendFixtureTo(`${publicUrl}/webhook`, secret, name, ...edits);
}

/** The same, to one door: `<PUBLIC_URL>/webhook/<instance>` is another GitLab instance's. */
export async function sendFixtureTo(doorUrl: string, secret: string, name: string, ...edits: ((payload: Json) => void)[]): Promise<number> {
  const fixture = webhookFixture(name);
  const payload = JSON.parse(fixture.body) as Json;
  for (const edit of edits) edit(payload);
  const response = await fetch(doorUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Gitlab-Token': secret, 'X-Gitlab-Event': fixture.event, 'Idempotency-Key': randomUUID() },
    body: JSON.stringify(payload),
  });
  return response.status;
}
