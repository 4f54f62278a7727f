import { describe, expect, it } from '@jest/globals';
import { renderPost } from '../../../server/src/render/render-post.js';
import { parseFixture } from '../gitlab/events/payloads.js';

function commit(index: number): Record<string, unknown> {
  const sha = index.toString(16).padStart(40, 'a');
  return { id: sha, message: `Commit number ${index}\n\nDetails nobody reads`, url: `http://example.com/mike/diaspora/commit/${sha}`, author: { name: `Author ${index}` } };
}

describe('push posts', () => {
  it('list the latest 5 commits of 30 and say how many more', () => {
    const event = parseFixture('push.json', (payload) => {
      payload.commits = Array.from({ length: 30 }, (_, index) => commit(index + 1));
      payload.total_commits_count = 30;
    });
    const message = renderPost(event, 'full').message;
    const listed = message.split('\n').filter((line) => line.startsWith('- ['));
    expect(listed).toHaveLength(5);
    expect(listed[0]).toContain('Commit number 30');
    expect(listed[4]).toContain('Commit number 26');
    expect(listed[0]).toContain('Author 30');
    expect(message).toContain('and 25 more');
    expect(message).toContain('pushed 30 commits');
    expect(message).not.toContain('Details nobody reads');
  });

  it('count commits GitLab did not send (it sends at most 20)', () => {
    const event = parseFixture('push.json', (payload) => {
      payload.commits = Array.from({ length: 20 }, (_, index) => commit(index + 1));
      payload.total_commits_count = 120;
    });
    expect(renderPost(event, 'full').message).toContain('and 115 more');
  });

  it('do not say "more" when every commit is listed', () => {
    const event = parseFixture('push.json', (payload) => (payload.total_commits_count = 2));
    expect(renderPost(event, 'full').message).not.toContain('more');
  });
});
