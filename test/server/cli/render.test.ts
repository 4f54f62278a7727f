import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { expectedPosts } from '../../fixtures/gitlab/expected-posts.js';
import { runCommand, tempWorkDir } from '../../helpers/bridge-process.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/gitlab/webhooks/', import.meta.url));

describe('gitlab-bridge render', () => {
  it('prints the post a merge request payload makes, as JSON', async () => {
    const { code, stdout } = await runCommand(['render', '--event', 'Merge Request Hook', path.join(FIXTURES, 'merge_request.merge.json')]);
    expect(code).toBe(0);
    const posts = JSON.parse(stdout) as { message: string; kind: string; action: string; thread: string }[];
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ kind: 'merge_request', action: 'merged' });
    const expected = expectedPosts['merge_request.merge.json']!;
    if ('facts' in expected) for (const fact of expected.facts) expect(posts[0]!.message).toContain(fact);
  });

  it('renders the compact and title styles', async () => {
    const file = path.join(FIXTURES, 'issue.open.json');
    const full = JSON.parse((await runCommand(['render', '--event', 'Issue Hook', file])).stdout)[0].message as string;
    const title = JSON.parse((await runCommand(['render', '--event', 'Issue Hook', '--style', 'title', file])).stdout)[0].message as string;
    expect(title.split('\n')).toHaveLength(1);
    expect(full.length).toBeGreaterThan(title.length);
  });

  it('prints no posts, and says why, for a payload that makes none', async () => {
    const { code, stdout, stderr } = await runCommand(['render', '--event', 'Future Hook', path.join(FIXTURES, 'push.json')]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([]);
    expect(stderr).toMatch(/no post: unknown event kind: Future Hook/);
  });

  it('answers a usage mistake with one line and exit status 2', async () => {
    const dir = tempWorkDir();
    writeFileSync(path.join(dir, 'bad.json'), '{not json');
    const cases = [
      [['render', path.join(FIXTURES, 'push.json')], /--event is required/],
      [['render', '--event', 'Push Hook'], /name the payload file/],
      [['render', '--event', 'Push Hook', path.join(dir, 'bad.json')], /is not valid JSON/],
      [['render', '--event', 'Push Hook', path.join(dir, 'missing.json')], /cannot read .*ENOENT/],
      [['render', '--event', 'Push Hook', '--style', 'loud', path.join(FIXTURES, 'push.json')], /--style must be full, compact or title/],
    ] as const;
    for (const [args, message] of cases) {
      const { code, stderr } = await runCommand([...args]);
      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(message);
    }
  });
});
