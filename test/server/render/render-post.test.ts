import { describe, expect, it } from '@jest/globals';
import type { GitLabEvent } from '../../../server/src/gitlab/events/event.js';
import { renderPost } from '../../../server/src/render/render-post.js';
import { expectedPosts } from '../../fixtures/gitlab/expected-posts.js';
import { FIXTURE_NAMES, parseFixture } from '../gitlab/events/payloads.js';

const STYLES = ['full', 'compact', 'title'] as const;

describe('renderPost on every fixture', () => {
  it.each(FIXTURE_NAMES)('%s: the full post has the facts a reader needs', (name) => {
    const expected = expectedPosts[name];
    if (!expected) throw new Error(`no entry for ${name} in expected-posts.ts`);
    if ('ignored' in expected) return;
    const { message } = renderPost(parseFixture(name), 'full');
    for (const fact of expected.facts) expect(message).toContain(fact);
    for (const missing of expected.absent ?? []) expect(message).not.toContain(missing);
  });

  it.each(FIXTURE_NAMES)('%s: title is one line, compact adds facts only, full adds bodies', (name) => {
    const event = parseFixture(name);
    const full = renderPost(event, 'full').message;
    const compact = renderPost(event, 'compact').message;
    const title = renderPost(event, 'title').message;
    expect(title).not.toContain('\n');
    expect(title.length).toBeGreaterThan(0);
    expect(compact.startsWith(title)).toBe(true);
    expect(full.startsWith(compact)).toBe(true);
    // Bodies (quotes, commit lists) are for the full style only.
    expect(compact).not.toMatch(/^(>|- )/m);
  });

  it('is pure: the same event renders the same message', () => {
    for (const name of FIXTURE_NAMES) {
      const event = parseFixture(name);
      for (const style of STYLES) expect(renderPost(event, style).message).toBe(renderPost(structuredClone(event), style).message);
    }
  });
});

describe('styles', () => {
  it('full quotes an opened MR’s description; compact and title do not', () => {
    const event = parseFixture('merge_request.open.json', (payload) => (payload.object_attributes.description = 'Adds the viewport meta tag.\n\nCloses #4.'));
    const full = renderPost(event, 'full').message;
    expect(full).toContain('> Adds the viewport meta tag.\n>\n> Closes #4.');
    expect(renderPost(event, 'compact').message).not.toContain('viewport meta tag');
    expect(renderPost(event, 'title').message).not.toContain('viewport meta tag');
    expect(renderPost(event, 'compact').message).toContain('`ms-viewport` → `master`');
    expect(renderPost(event, 'title').message).not.toContain('`ms-viewport` → `master`');
  });

  it('full lists a push’s commits; compact keeps the compare link only', () => {
    const event = parseFixture('push.json');
    expect(renderPost(event, 'full').message).toContain('fixed readme');
    const compact = renderPost(event, 'compact').message;
    expect(compact).not.toContain('fixed readme');
    expect(compact).toContain('/-/compare/');
    expect(renderPost(event, 'title').message).not.toContain('/-/compare/');
  });

  it('keeps a description excerpt short', () => {
    const long = Array.from({ length: 40 }, (_, index) => `Line ${index} ${'word '.repeat(30)}`).join('\n');
    const event = parseFixture('issue.open.json', (payload) => (payload.object_attributes.description = long));
    const quoted = renderPost(event, 'full').message.split('\n').filter((line) => line.startsWith('>'));
    expect(quoted.length).toBeLessThanOrEqual(10);
    expect(quoted.join('\n').length).toBeLessThan(700);
    expect(quoted.join('\n')).toMatch(/…$/);
  });

  it('keeps a very long title to one line of bounded length', () => {
    const event = parseFixture('issue.open.json', (payload) => (payload.object_attributes.title = `Long\ntitle ${'x'.repeat(5000)}`));
    const title = renderPost(event, 'title').message;
    expect(title).not.toContain('\n');
    expect(title.length).toBeLessThan(600);
  });
});

describe('what the renderers say', () => {
  it('renders a pipeline the processor marked fixed', () => {
    const event: GitLabEvent = { ...parseFixture('pipeline.success.json'), action: 'fixed' };
    expect(renderPost(event, 'title').message).toMatch(/Pipeline \[#31\]\([^)]+\) fixed on `master`/);
  });

  it('names an MR update’s other changes as facts', () => {
    const event = parseFixture('merge_request.update.draft.json', (payload) => {
      payload.changes.labels = { previous: [], current: [{ title: 'bug' }] };
      payload.object_attributes.oldrev = 'abc';
    });
    const message = renderPost(event, 'compact').message;
    expect(message.split('\n')[0]).toContain('as draft');
    expect(message).toContain('New commits pushed');
    expect(message).toContain('Labels added: `bug`');
    expect(message).not.toContain('Marked as draft');
  });

  it('says "updated" for an issue update with nothing interesting', () => {
    const event = parseFixture('issue.update.json', (payload) => (payload.changes = { updated_at: { previous: '2017-09-15 16:50:55 UTC', current: '2017-09-15 16:52:00 UTC' } }));
    expect(renderPost(event, 'compact').message).toBe(renderPost(event, 'title').message);
    expect(renderPost(event, 'title').message).toContain('updated issue');
  });

  it('marks an internal note', () => {
    const event = parseFixture('note.issue.json', (payload) => (payload.object_attributes.internal = true));
    expect(renderPost(event, 'title').message).toContain('added an internal note on issue');
  });

  it('shows a branch created or deleted', () => {
    const created = parseFixture('push.json', (payload) => (payload.before = '0'.repeat(40)));
    expect(renderPost(created, 'title').message).toContain('created branch [`master`](http://example.com/mike/diaspora/-/tree/master)');
    const deleted = parseFixture('push.json', (payload) => {
      payload.after = '0'.repeat(40);
      payload.commits = [];
      payload.total_commits_count = 0;
    });
    expect(renderPost(deleted, 'full').message).toBe('[John Smith](http://example.com/jsmith) deleted branch `master` in [mike/diaspora](http://example.com/mike/diaspora)');
  });

  it('shows people by display name, never as @username', () => {
    for (const name of FIXTURE_NAMES) {
      const message = renderPost(parseFixture(name), 'full').message;
      expect(message).not.toMatch(/(^|[^\w\u200B])@[a-z]/im);
    }
  });

  it('links people and groups through the GitLab address when the payload has none', () => {
    const event = parseFixture('member.add_to_group.json');
    expect(renderPost(event, 'title').message).toBe('Test User was added to group webhook-test as Guest');
    expect(renderPost(event, 'title', { gitlabUrl: 'https://gitlab.example.com/' }).message).toBe(
      '[Test User](https://gitlab.example.com/test_user) was added to group [webhook-test](https://gitlab.example.com/webhook-test) as Guest',
    );
  });
});
