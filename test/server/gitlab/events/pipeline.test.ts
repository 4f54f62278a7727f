import { describe, expect, it } from '@jest/globals';
import type { PipelineDetails } from '../../../../server/src/gitlab/events/details.js';
import { parseFixture, type Payload } from './payloads.js';

const pipeline = (edit?: (payload: Payload) => void): PipelineDetails => parseFixture('pipeline.failed.json', edit).details as PipelineDetails;

function build(id: number, name: string, stage: string, status: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, name, stage, status, created_at: `2016-08-12 15:2${id % 10}:00 UTC`, allow_failure: false, ...extra };
}

describe('pipeline', () => {
  it('reads status, ref, link, duration, source and actor; an MR pipeline belongs to its MR', () => {
    const event = parseFixture('pipeline.failed.json');
    expect(event).toMatchObject({
      kind: 'pipeline',
      action: 'failed',
      key: 'pipeline:31:failed',
      ref: 'master',
      actor: { username: 'root' },
      target: { type: 'merge_request', iid: 1, title: 'Test', url: 'http://192.168.64.1:3005/gitlab-org/gitlab-test/merge_requests/1' },
    });
    expect(event.details).toMatchObject({
      id: 31,
      url: 'http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/31',
      durationSeconds: 63,
      source: 'merge_request_event',
      failedStages: ['test'],
    });
    expect((event.details as PipelineDetails).failedJobs).toEqual([
      { id: 378, name: 'test-build', stage: 'test', status: 'failed', url: 'http://192.168.64.1:3005/gitlab-org/gitlab-test/-/jobs/378', failureReason: 'script_failure' },
    ]);
  });

  it('has no target without a merge request', () => {
    expect(parseFixture('pipeline.failed.json', (payload) => delete payload.merge_request).target).toBeNull();
  });

  it('drops a job that failed, was retried and passed', () => {
    const details = pipeline((payload) => {
      payload.builds = [build(10, 'lint', 'test', 'failed'), build(11, 'lint', 'test', 'success'), build(12, 'unit', 'test', 'failed')];
    });
    expect(details.failedJobs.map((job) => job.name)).toEqual(['unit']);
  });

  it('counts a job retried and failed again once, by its latest attempt', () => {
    const details = pipeline((payload) => {
      payload.builds = [build(11, 'lint', 'test', 'failed'), build(10, 'lint', 'test', 'failed')];
    });
    expect(details.failedJobs.map((job) => job.id)).toEqual([11]);
  });

  it('uses created_at to order attempts when ids are missing', () => {
    const details = pipeline((payload) => {
      payload.builds = [
        { name: 'lint', stage: 'test', status: 'success', created_at: '2016-08-12 15:30:00 UTC' },
        { name: 'lint', stage: 'test', status: 'failed', created_at: '2016-08-12 15:20:00 UTC' },
      ];
    });
    expect(details.failedJobs).toEqual([]);
  });

  it('does not count jobs allowed to fail', () => {
    const details = pipeline((payload) => {
      payload.builds = [build(10, 'flaky', 'test', 'failed', { allow_failure: true }), build(11, 'deploy', 'deploy', 'failed')];
    });
    expect(details.failedJobs.map((job) => job.name)).toEqual(['deploy']);
    expect(details.failedStages).toEqual(['deploy']);
  });

  it('lists failed stages in pipeline order', () => {
    const details = pipeline((payload) => {
      payload.builds = [build(13, 'ship', 'deploy', 'failed'), build(12, 'compile', 'build', 'failed'), build(14, 'unit', 'test', 'failed')];
    });
    expect(details.failedStages).toEqual(['build', 'test', 'deploy']);
  });
});
