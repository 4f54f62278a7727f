/**
 * A GitLabEvent as a Mattermost post, in one of three styles:
 * - `title`: one line (the headline);
 * - `compact`: the headline and the facts that matter (changes, failed jobs, links);
 * - `full`: also descriptions, comments and commit lists.
 * Pure: the same event and style always give the same message.
 */
import type { GitLabEvent } from '../gitlab/events/event.js';
import { renderAccessToken } from './access-token.js';
import { renderDeployment } from './deployment.js';
import { renderEmoji } from './emoji.js';
import { renderFeatureFlag } from './feature-flag.js';
import { renderIssue } from './issue.js';
import { renderJob } from './job.js';
import { renderMember } from './member.js';
import { renderMergeRequest } from './merge-request.js';
import { renderMilestone } from './milestone.js';
import { renderNote } from './note.js';
import type { PostParts, RenderContext } from './parts.js';
import { renderPipeline } from './pipeline.js';
import { renderProject } from './project.js';
import { renderPush } from './push.js';
import { renderRelease } from './release.js';
import { renderSubgroup } from './subgroup.js';
import { renderSystem } from './system.js';
import { renderTagPush } from './tag-push.js';
import { guardLineStart, oneLine } from './text.js';
import { renderVulnerability } from './vulnerability.js';
import { renderWikiPage } from './wiki-page.js';

export type PostStyle = 'full' | 'compact' | 'title';

export interface RenderOptions {
  /** GitLab's address, to link people and groups in payloads that carry no URL (member, group and system hooks). */
  gitlabUrl?: string | null;
}

export function renderPost(event: GitLabEvent, style: PostStyle, options: RenderOptions = {}): { message: string } {
  const context: RenderContext = { gitlabUrl: options.gitlabUrl ? options.gitlabUrl.replace(/\/+$/, '') : null };
  const { headline, facts, body } = renderParts(event, context);
  const title = guardLineStart(oneLine(headline));
  if (style === 'title') return { message: title };
  const message = [title, ...facts.map(guardLineStart)].join('\n');
  // A blank line before each block keeps a quote from swallowing what follows.
  return { message: style === 'full' && body.length ? `${message}\n\n${body.join('\n\n')}` : message };
}

function renderParts(event: GitLabEvent, context: RenderContext): PostParts {
  const details = event.details;
  switch (details.kind) {
    case 'push':
      return renderPush(event, details, context);
    case 'tag_push':
      return renderTagPush(event, details, context);
    case 'issue':
      return renderIssue(event, details, context);
    case 'merge_request':
      return renderMergeRequest(event, details, context);
    case 'note':
      return renderNote(event, details, context);
    case 'pipeline':
      return renderPipeline(event, details, context);
    case 'job':
      return renderJob(event, details, context);
    case 'deployment':
      return renderDeployment(event, details, context);
    case 'release':
      return renderRelease(event, details, context);
    case 'wiki_page':
      return renderWikiPage(event, details, context);
    case 'milestone':
      return renderMilestone(event, details, context);
    case 'feature_flag':
      return renderFeatureFlag(event, details, context);
    case 'emoji':
      return renderEmoji(event, details, context);
    case 'access_token':
      return renderAccessToken(event, details, context);
    case 'vulnerability':
      return renderVulnerability(event, details, context);
    case 'member':
      return renderMember(event, details, context);
    case 'project':
      return renderProject(event, details, context);
    case 'subgroup':
      return renderSubgroup(event, details, context);
    case 'system':
      return renderSystem(event, details, context);
  }
}
