import { describe, expect, it } from '@jest/globals';
import { isIgnored } from '../../../../server/src/gitlab/events/event.js';
import { parseEvent } from '../../../../server/src/gitlab/events/parse-event.js';
import { renderPost } from '../../../../server/src/render/render-post.js';
import { expectedPosts } from '../../../fixtures/gitlab/expected-posts.js';
import { FIXTURE_NAMES, loadFixture, parseFixture, type Payload } from './payloads.js';

const HEADERS = [
  'Push Hook',
  'Tag Push Hook',
  'Issue Hook',
  'Confidential Issue Hook',
  'Work Item Hook',
  'Note Hook',
  'Confidential Note Hook',
  'Merge Request Hook',
  'Wiki Page Hook',
  'Pipeline Hook',
  'Job Hook',
  'Deployment Hook',
  'Release Hook',
  'Milestone Hook',
  'Emoji Hook',
  'Feature Flag Hook',
  'Resource Access Token Hook',
  'Vulnerability Hook',
  'Member Hook',
  'Project Hook',
  'Subgroup Hook',
  'System Hook',
];

describe('parseEvent on the fixtures', () => {
  it('has an expected post for every fixture, and a fixture for every expected post', () => {
    expect(Object.keys(expectedPosts).sort()).toEqual(FIXTURE_NAMES);
  });

  it.each(FIXTURE_NAMES)('%s parses to its expected kind and action', (name) => {
    const expected = expectedPosts[name];
    if (!expected) throw new Error(`no entry for ${name} in expected-posts.ts`);
    const { header, payload } = loadFixture(name);
    const result = parseEvent(header, payload);
    if ('ignored' in expected) {
      expect(isIgnored(result)).toBe(true);
      return;
    }
    if (isIgnored(result)) throw new Error(`${name} ignored: ${result.ignored}`);
    expect({ kind: result.kind, action: result.action }).toEqual({ kind: expected.kind, action: expected.action });
    expect(result.details.kind).toBe(result.kind);
    expect(result.key).toMatch(new RegExp(`^${result.kind}:`));
  });

  it('gives every fixture its own key, except the same event seen through two hooks', () => {
    const byKey = new Map<string, string[]>();
    for (const name of FIXTURE_NAMES) {
      const key = parseFixture(name).key;
      byKey.set(key, [...(byKey.get(key) ?? []), name]);
    }
    const shared = [...byKey.values()].filter((names) => names.length > 1);
    // The same push from a project hook and the system hook; note 1241 derived as a confidential note.
    expect(shared).toEqual([
      ['note.issue.confidential.json', 'note.issue.json'],
      ['push.json', 'system.push.json'],
    ]);
  });

  it('gives a re-delivery the same key', () => {
    for (const name of FIXTURE_NAMES) expect(parseFixture(name).key).toBe(parseFixture(name).key);
  });
});

describe('parseEvent headers', () => {
  it('reads the header case-insensitively, with stray spaces', () => {
    const { payload } = loadFixture('push.json');
    const event = parseEvent('  push   HOOK ', payload);
    expect(isIgnored(event) ? event.ignored : event.kind).toBe('push');
  });

  it('ignores an unknown header, naming it', () => {
    expect(parseEvent('Bogus Hook', {})).toMatchObject({ ignored: 'unknown event kind: Bogus Hook' });
    expect(parseEvent('', {})).toMatchObject({ ignored: 'unknown event kind: ' });
  });

  it('accepts the Work Item Hook as an issue event', () => {
    const { payload } = loadFixture('issue.open.json');
    payload.object_kind = 'work_item';
    payload.object_attributes.type = 'Task';
    const event = parseEvent('Work Item Hook', payload);
    if (isIgnored(event)) throw new Error(event.ignored);
    expect(event.kind).toBe('issue');
    expect(renderPost(event, 'title').message).toContain('opened task');
  });

  it('refuses a payload whose object_kind belongs to another header', () => {
    const { payload } = loadFixture('merge_request.open.json');
    expect(parseEvent('Issue Hook', payload)).toMatchObject({ ignored: 'object_kind merge_request where issue or work_item was expected' });
  });

  it('says what an ignored payload is about, so that `subscriptions explain` can show it under its project', () => {
    const { payload } = loadFixture('note.merge_request.json');
    payload.object_attributes.system = true;
    expect(parseEvent('Confidential Note Hook', payload)).toEqual({
      ignored: 'a system note is not a comment',
      about: { kind: 'note', action: payload.object_attributes.action ?? '', path: payload.project.path_with_namespace.toLowerCase(), projectId: payload.project.id },
    });
    expect(parseEvent('Bogus Hook', { project: { path_with_namespace: 'Acme/Web', id: 3 } })).toMatchObject({ about: { kind: 'bogus', path: 'acme/web', projectId: 3 } });
  });

  it('parses system pushes, tag pushes and merge requests as their own kinds', () => {
    const tag = loadFixture('tag_push.json').payload;
    const mr = loadFixture('merge_request.merge.json').payload;
    for (const [payload, kind] of [
      [tag, 'tag_push'],
      [mr, 'merge_request'],
    ] as const) {
      const event = parseEvent('System Hook', payload);
      expect(isIgnored(event) ? event.ignored : event.kind).toBe(kind);
    }
  });

  it('ignores system events it does not know', () => {
    expect(parseEvent('System Hook', { event_name: 'something_new' })).toMatchObject({ ignored: 'unsupported system event: something_new' });
  });
});

describe('parseEvent on garbage', () => {
  const garbage: unknown[] = [null, undefined, [], {}, '', 'Push Hook', 42, -1, true, Number.NaN, [{}], { object_kind: 42 }];

  it.each(HEADERS)('%s never throws, whatever the payload', (header) => {
    for (const payload of garbage) {
      const result = parseEvent(header, payload);
      expect(isIgnored(result)).toBe(true);
    }
  });

  it('never throws when the header itself is not a string', () => {
    expect(parseEvent(undefined as unknown as string, {})).toMatchObject({ ignored: 'unknown event kind: ' });
    expect(parseEvent(42 as unknown as string, {})).toMatchObject({ ignored: 'unknown event kind: ' });
  });

  /** Every field down to depth 3, replaced by each wrong type in turn. */
  const WRONG: unknown[] = [null, 7, 'x', true, [], {}, [1, 'a', null], { previous: 1, current: 'x' }];

  function* fieldPaths(value: unknown, path: string[] = [], depth = 0): Generator<string[]> {
    if (depth >= 3 || typeof value !== 'object' || value === null) return;
    for (const key of Object.keys(value)) {
      yield [...path, key];
      const child = (value as Record<string, unknown>)[key];
      if (Array.isArray(child)) yield* fieldPaths(child[0], [...path, key, '0'], depth + 1);
      else yield* fieldPaths(child, [...path, key], depth + 1);
    }
  }

  function setPath(payload: Payload, path: string[], value: unknown): void {
    let node = payload;
    for (const key of path.slice(0, -1)) node = node[key];
    node[path[path.length - 1]!] = value;
  }

  it.each(FIXTURE_NAMES)('%s with any field of the wrong type parses or is ignored, never unparseable, and renders', (name) => {
    const { header, payload: original } = loadFixture(name);
    for (const path of fieldPaths(original)) {
      for (const wrong of WRONG) {
        const { payload } = loadFixture(name);
        setPath(payload, path, wrong);
        const result = parseEvent(header, payload);
        if (isIgnored(result)) {
          expect(result.ignored).not.toMatch(/^unparseable/);
          continue;
        }
        for (const style of ['full', 'compact', 'title'] as const) expect(typeof renderPost(result, style).message).toBe('string');
      }
    }
  });
});
