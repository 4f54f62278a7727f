import { describe, expect, it } from '@jest/globals';
import { isIgnored } from '../../../server/src/gitlab/events/event.js';
import { parseEvent } from '../../../server/src/gitlab/events/parse-event.js';
import { renderPost } from '../../../server/src/render/render-post.js';
import { FIXTURE_NAMES, loadFixture, parseFixture, type Payload } from '../gitlab/events/payloads.js';

const HOSTILE = '@channel @all @here @someone [x](http://evil) ![x](http://evil/img) <http://evil> <img src=x onerror=alert(1)>';
const HOSTILE_BODY = 'Hi @channel\n# Heading @all\n[x](http://evil)\n![x](http://evil/img)\n<http://evil>\n<script>alert(1)</script>\n@here @someone';
const PINGS = /(^|[^\w])@(channel|all|here|someone)\b/i;

/** Fields that select how a payload is read; every other string gets the hostile text appended. */
const STRUCTURAL = new Set(['object_kind', 'event_type', 'event_name', 'action', 'status', 'build_status', 'state', 'noteable_type', 'awardable_type']);

function poison(value: Payload, key = ''): Payload {
  if (typeof value === 'string') return STRUCTURAL.has(key) ? value : `${value} ${HOSTILE}`;
  if (Array.isArray(value)) return value.map((item) => poison(item, key));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, poison(item, name)]));
  return value;
}

/** Code spans are inert in Markdown: what is inside them cannot link. */
const withoutCode = (message: string): string => message.replace(/`[^`]*`/g, '``');

function expectHarmless(message: string): void {
  expect(message).not.toContain('@channel');
  expect(message).not.toContain('@all');
  expect(message).not.toContain('@here');
  expect(message).not.toContain('@someone');
  expect(message).not.toMatch(PINGS);
  const markup = withoutCode(message);
  expect(markup).not.toMatch(/(?<!\\)\]\(http:\/\/evil/);
  expect(markup).not.toMatch(/(?<!\\)!\[/);
  expect(markup).not.toMatch(/(?<!\\)<(http|img|script)/);
}

describe('hostile GitLab text', () => {
  it.each(FIXTURE_NAMES)('%s: hostile text in every field pings nobody and forges no link, image or HTML', (name) => {
    const { header, payload } = loadFixture(name);
    const result = parseEvent(header, poison(payload));
    if (isIgnored(result)) throw new Error(`${name} poisoned was ignored: ${result.ignored}`);
    for (const style of ['full', 'compact', 'title'] as const) expectHarmless(renderPost(result, style).message);
  });

  it.each([
    ['issue.open.json', (payload: Payload) => (payload.object_attributes.description = HOSTILE_BODY)],
    ['merge_request.open.json', (payload: Payload) => (payload.object_attributes.description = HOSTILE_BODY)],
    ['note.merge_request.json', (payload: Payload) => (payload.object_attributes.note = HOSTILE_BODY)],
    ['release.create.json', (payload: Payload) => (payload.description = HOSTILE_BODY)],
    ['push.json', (payload: Payload) => (payload.commits[1].message = HOSTILE_BODY)],
    ['emoji.award.note.json', (payload: Payload) => (payload.note.note = HOSTILE_BODY)],
  ])('%s: a hostile multi-line body is quoted harmlessly', (name, edit) => {
    const message = renderPost(parseFixture(name, edit), 'full').message;
    expectHarmless(message);
    expect(message).not.toMatch(/^#/m);
  });

  it('a title made only of mentions still names the object', () => {
    const event = parseFixture('merge_request.open.json', (payload) => (payload.object_attributes.title = '@channel'));
    const title = renderPost(event, 'title').message;
    expect(title).toContain('!1 @\u200Bchannel');
    expectHarmless(title);
  });

  it('a display name that looks like a heading or list does not become one', () => {
    const event = parseFixture('member.add_to_group.json', (payload) => (payload.user_name = '# 1. Big'));
    expect(renderPost(event, 'title').message.startsWith('\\#')).toBe(true);
  });
});
