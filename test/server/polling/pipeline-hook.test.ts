import { describe, expect, it } from '@jest/globals';
import { hookFromPipeline, pipelineMergeRequestIid } from '../../../server/src/polling/hooks-from-api.js';
import * as api from './api-objects.js';
import { expectSamePost, fullPost, parseHook, ruleFacts } from './fallback-fetch.js';
import { parseFixture } from '../gitlab/events/payloads.js';

const forMergeRequest = { mergeRequest: api.testMergeRequest };

describe('pipelines give the webhook’s posts', () => {
  it('passed, in the MR’s thread, with the webhook’s key', () => {
    const { polled, webhook } = expectSamePost(hookFromPipeline(api.pipeline31('success'), api.pipelineProject, forMergeRequest), 'pipeline.success.json');
    expect(polled.target).toEqual(webhook.target);
    expect(polled.key).toBe(webhook.key);
  });

  it('running', () => {
    const { polled, webhook } = expectSamePost(hookFromPipeline(api.pipeline31('running'), api.pipelineProject, forMergeRequest), 'pipeline.running.json');
    expect(polled.key).toBe(webhook.key);
  });

  it('failed, with its jobs fetched: the failed stage and job named as in the webhook', () => {
    const hook = hookFromPipeline(api.pipeline31('failed'), api.pipelineProject, { ...forMergeRequest, jobs: api.failedPipelineJobs });
    const { polled } = expectSamePost(hook, 'pipeline.failed.json');
    expect(fullPost(polled).message).toContain('Failed in stage `test`: [`test-build`](http://192.168.64.1:3005/gitlab-org/gitlab-test/-/jobs/378) (script failure)');
  });

  it('failed, without its jobs: the post lacks only the failed stages and jobs', () => {
    const polled = parseHook(hookFromPipeline(api.pipeline31('failed'), api.pipelineProject, forMergeRequest));
    const webhook = parseFixture('pipeline.failed.json');
    const webhookLines = fullPost(webhook).message.split('\n');
    const missing = webhookLines.filter((line) => line.startsWith('Failed in stage '));
    expect(missing).toHaveLength(1);
    expect(fullPost(polled).message.split('\n')).toEqual(webhookLines.filter((line) => !missing.includes(line)));
    expect(ruleFacts(polled)).toEqual(ruleFacts(webhook));
    expect(polled.key).toBe(webhook.key);
  });

  it('outside an MR, on its branch', () => {
    const polled = parseHook(hookFromPipeline(api.pipeline31('success', { source: 'push' }), api.pipelineProject));
    expect(polled.target).toBeNull();
    expect(fullPost(polled).message).toMatch(/^:white_check_mark: Pipeline \[#31\]\([^)]+\) passed on `master` in \[gitlab-org\/gitlab-test\]/);
  });

  it.each(['created', 'pending', 'preparing', 'waiting_for_resource', 'scheduled'])('skips a pipeline caught %s', (status) => {
    expect(hookFromPipeline(api.pipeline31(status), api.pipelineProject)).toBeNull();
  });

  it('finds the MR of a merge request pipeline from its ref', () => {
    expect(pipelineMergeRequestIid({ ref: 'refs/merge-requests/12/head' })).toBe(12);
    expect(pipelineMergeRequestIid({ ref: 'refs/merge-requests/7/merge' })).toBe(7);
    expect(pipelineMergeRequestIid({ ref: 'refs/merge-requests/7/train' })).toBe(7);
    expect(pipelineMergeRequestIid({ ref: 'master' })).toBeNull();
    expect(pipelineMergeRequestIid({ ref: 'refs/merge-requests/7/head-fix' })).toBeNull();
  });

  it('keeps a private project private', () => {
    const hook = hookFromPipeline(api.pipeline31('success'), { ...api.pipelineProject, visibility: 'private' });
    expect(hook?.payload).toMatchObject({ project: { visibility_level: 0 } });
    expect(parseHook(hook).project?.visibility).toBe('private');
  });
});
