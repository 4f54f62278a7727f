/** Link previews for GitLab issues and merge requests, and the user popover's GitLab username. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import React from 'react';
import { cleanup, screen, waitFor } from '@testing-library/react';
import { LinkTooltip, clearPreviewCache } from '../../webapp/src/components/link-tooltip';
import { UserAttribute, clearUserCache } from '../../webapp/src/components/user-attribute';
import { parseGitLabItemUrl } from '../../webapp/src/format/gitlab-url';
import { fakeBridge, makeServices, me, renderWith } from './bridge';

beforeEach(() => {
  clearPreviewCache();
  clearUserCache();
});
afterEach(cleanup);

const MR_URL = 'https://gitlab.example.com/platform/backend/services/api/-/merge_requests/42';
const MR_PREVIEW = {
  kind: 'merge_request',
  reference: 'platform/backend/services/api!42',
  title: 'Cache the search index',
  state: 'opened',
  draft: false,
  author: { username: 'bob', name: 'Bob' },
  assignees: [{ username: 'carol', name: 'Carol' }],
  reviewers: [],
  labels: [{ title: 'performance', color: '#428bca', textColor: '#FFFFFF' }],
  sourceBranch: 'cache-index',
  targetBranch: 'main',
  pipelineStatus: 'success',
  approvals: { required: 2, given: 2 },
  conflicts: false,
  url: MR_URL,
  createdAt: new Date().toISOString(),
};

describe('the link tooltip', () => {
  it('previews a merge request in a subgroup: title, state, author, assignees, labels, pipeline, approvals', async () => {
    const bridge = fakeBridge({ 'GET /preview': { body: MR_PREVIEW } });
    const { services } = makeServices(bridge, { state: { me: me(), meStatus: 'ready' } });
    renderWith(services, <LinkTooltip href={MR_URL} show />);
    const tooltip = await screen.findByTestId('gitlab-link-tooltip');
    for (const part of ['Cache the search index', 'opened', '@bob', '@carol', 'performance', 'Pipeline success', 'Approvals 2 of 2', 'cache-index → main']) {
      expect(tooltip.textContent).toContain(part);
    }
    expect(bridge.sent.map((request) => request.query.get('url'))).toEqual([MR_URL]);
  });

  it('asks nothing and shows nothing for links outside the bridge’s GitLab, or that are not issues or merge requests', async () => {
    const bridge = fakeBridge({ 'GET /preview': { body: MR_PREVIEW } });
    const { services } = makeServices(bridge, { state: { me: me(), meStatus: 'ready' } });
    renderWith(
      services,
      <>
        <LinkTooltip href="https://github.com/platform/api/pull/42" show />
        <LinkTooltip href="https://gitlab.evil.example/platform/api/-/merge_requests/42" show />
        <LinkTooltip href="https://gitlab.example.com/platform/api/-/tree/main" show />
      </>,
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(screen.queryByTestId('gitlab-link-tooltip')).toBeNull();
    expect(bridge.sent).toHaveLength(0);
  });

  it('shows nothing when the bridge will not preview it (not visible to the user)', async () => {
    const bridge = fakeBridge({ 'GET /preview': { status: 404, body: { error: 'Not found', code: 'not_found' } } });
    const { services } = makeServices(bridge, { state: { me: me(), meStatus: 'ready' } });
    renderWith(services, <LinkTooltip href="https://gitlab.example.com/g/secret/-/issues/1" show />);
    await waitFor(() => expect(bridge.sent).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(screen.queryByTestId('gitlab-link-tooltip')).toBeNull();
  });

  it('previews links of every instance the viewer is connected to, and asks nothing for the others', async () => {
    const CORP_URL = 'https://git.corp.example/team/app/-/merge_requests/4';
    const bridge = fakeBridge({ 'GET /preview': { body: { ...MR_PREVIEW, url: CORP_URL } } });
    const instances = [
      { name: 'default', label: 'gitlab.example.com', url: 'https://gitlab.example.com', connected: false },
      { name: 'corp', label: 'corp', url: 'https://git.corp.example', connected: true },
    ];
    const { services } = makeServices(bridge, { state: { me: me({ connected: false, gitlab: null, instances }), meStatus: 'ready' } });
    renderWith(
      services,
      <>
        <LinkTooltip href={CORP_URL} show />
        <LinkTooltip href={MR_URL} show />
      </>,
    );
    await screen.findByTestId('gitlab-link-tooltip');
    expect(bridge.sent.map((request) => request.query.get('url'))).toEqual([CORP_URL]);
  });

  it('recognises issue and MR URLs at any group depth, under a GitLab served from a path', () => {
    expect(parseGitLabItemUrl('https://gitlab.example.com/a/b/c/d/-/issues/7', 'https://gitlab.example.com')).toEqual({
      kind: 'issue',
      project: 'a/b/c/d',
      iid: 7,
    });
    expect(parseGitLabItemUrl('https://example.com/gitlab/g/p/-/merge_requests/3', 'https://example.com/gitlab/')).toEqual({
      kind: 'merge_request',
      project: 'g/p',
      iid: 3,
    });
    expect(parseGitLabItemUrl('https://example.com/other/g/p/-/merge_requests/3', 'https://example.com/gitlab')).toBeNull();
    expect(parseGitLabItemUrl('not a url', 'https://gitlab.example.com')).toBeNull();
  });
});

describe('the user popover attribute', () => {
  it("links the user's GitLab username", async () => {
    const bridge = fakeBridge({ 'GET /users/u-2/gitlab': { body: { username: 'dave.gl', webUrl: 'https://gitlab.example.com/dave.gl' } } });
    const { services } = makeServices(bridge, { state: { me: me(), meStatus: 'ready' } });
    renderWith(services, <UserAttribute user={{ id: 'u-2' }} />);
    const attribute = await screen.findByTestId('gitlab-user-attribute');
    const link = screen.getByRole('link', { name: 'dave.gl' });
    expect(attribute.contains(link)).toBe(true);
    expect(link.getAttribute('href')).toBe('https://gitlab.example.com/dave.gl');
  });

  it('shows nothing for someone without a linked account', async () => {
    const bridge = fakeBridge({ 'GET /users/u-3/gitlab': { status: 404, body: { error: 'Not linked', code: 'not_found' } } });
    const { services } = makeServices(bridge, { state: { me: me(), meStatus: 'ready' } });
    const { container } = renderWith(services, <UserAttribute user={{ id: 'u-3' }} />);
    await waitFor(() => expect(bridge.sent).toHaveLength(1));
    expect(container.textContent).toBe('');
  });
});
