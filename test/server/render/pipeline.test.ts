import { describe, expect, it } from '@jest/globals';
import { renderPost } from '../../../server/src/render/render-post.js';
import { parseFixture } from '../gitlab/events/payloads.js';

const build = (id: number, name: string, stage: string, status: string, allowFailure = false): Record<string, unknown> => ({
  id,
  name,
  stage,
  status,
  allow_failure: allowFailure,
  failure_reason: status === 'failed' ? 'script_failure' : null,
});

describe('pipeline posts', () => {
  it('name the failed stages and jobs, not the retried-then-passed or allowed-to-fail ones', () => {
    const event = parseFixture('pipeline.failed.json', (payload) => {
      payload.builds = [
        build(1, 'compile', 'build', 'success'),
        build(2, 'flaky-retried', 'test', 'failed'),
        build(5, 'flaky-retried', 'test', 'success'),
        build(3, 'optional-lint', 'test', 'failed', true),
        build(4, 'unit-tests', 'test', 'failed'),
        build(6, 'ship', 'deploy', 'failed'),
      ];
    });
    const message = renderPost(event, 'compact').message;
    expect(message).toContain('Failed in stage `test`: [`unit-tests`](http://192.168.64.1:3005/gitlab-org/gitlab-test/-/jobs/4) (script failure)');
    expect(message).toContain('Failed in stage `deploy`: [`ship`]');
    expect(message).not.toContain('flaky-retried');
    expect(message).not.toContain('optional-lint');
    expect(message).not.toContain('`build`');
  });

  it('show a human duration', () => {
    const event = parseFixture('pipeline.success.json', (payload) => (payload.object_attributes.duration = 3725));
    expect(renderPost(event, 'compact').message).toContain('Duration: 1h 2m 5s');
  });
});
