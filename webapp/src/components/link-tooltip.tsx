/**
 * The preview Mattermost shows when someone hovers a link: for GitLab issues and merge requests under
 * any of the bridge's GitLabs the user is connected to (any group depth), what that GitLab lets this
 * user see. Other links get nothing.
 */
import React, { useEffect, useState } from 'react';
import type { Preview } from '../api/types';
import { ageAgo } from '../format/age';
import { parseGitLabItemUrlOn, viewerGitLabUrls } from '../format/gitlab-url';
import { usePluginState, useServices } from '../services';
import { Approvals, Badge, Labels, PipelineBadge } from './bits';

/** Answers (and refusals) per URL for this page's life, so hovering twice asks once. */
const cache = new Map<string, Promise<Preview | null>>();
export function clearPreviewCache(): void {
  cache.clear();
}

export function LinkTooltip({ href, show }: { href: string; show: boolean }): React.ReactElement | null {
  const { api } = useServices();
  const me = usePluginState((state) => state.me);
  const link = parseGitLabItemUrlOn(href, viewerGitLabUrls(me));
  const [preview, setPreview] = useState<Preview | null>(null);

  useEffect(() => {
    if (!show || !link) return;
    let current = true;
    let answer = cache.get(href);
    if (!answer) {
      answer = api.preview(href).catch(() => null);
      cache.set(href, answer);
    }
    void answer.then((found) => current && setPreview(found));
    return () => {
      current = false;
    };
  }, [show, href, link !== null, api]);

  if (!link || !show || !preview) return null;
  const people = preview.assignees ?? [];
  return (
    <div className="glb-tooltip" data-testid="gitlab-link-tooltip">
      <div className="glb-meta">
        <span>{preview.reference}</span>
        <Badge bad={preview.state === 'closed'}>{preview.state}</Badge>
        {preview.kind === 'merge_request' && preview.draft ? <Badge>Draft</Badge> : null}
      </div>
      <div className="glb-tooltip-title">{preview.title}</div>
      <div className="glb-meta">
        {preview.author ? <span>{`Opened by @${preview.author.username} ${ageAgo(preview.createdAt)}`}</span> : null}
      </div>
      {people.length ? (
        <div className="glb-meta">
          <span>{`Assignees: ${people.map((person) => `@${person.username}`).join(', ')}`}</span>
        </div>
      ) : null}
      {preview.kind === 'merge_request' ? (
        <div className="glb-meta">
          {preview.sourceBranch && preview.targetBranch ? <span>{`${preview.sourceBranch} → ${preview.targetBranch}`}</span> : null}
          <PipelineBadge status={preview.pipelineStatus} />
          <Approvals approvals={preview.approvals} />
          {preview.conflicts ? <Badge bad>Conflicts</Badge> : null}
        </div>
      ) : null}
      <div className="glb-meta">
        <Labels labels={preview.labels ?? []} />
      </div>
    </div>
  );
}
