/**
 * A merge request opened, closed, reopened, merged, approved (or approval
 * revoked) or updated; an update's headline names its most telling change.
 */
import type { MergeRequestDetails } from '../gitlab/events/details.js';
import type { GitLabEvent } from '../gitlab/events/event.js';
import { describeChanges, type ChangeId, type ChangeLine } from './changes.js';
import { joinWords } from './format.js';
import { describePeopleAndLabels, descriptionQuote } from './issue.js';
import { actorLink, projectLink, targetLink } from './links.js';
import { parts, type PostParts, type RenderContext } from './parts.js';
import { code, inline } from './text.js';

export function renderMergeRequest(event: GitLabEvent, details: MergeRequestDetails, context: RenderContext): PostParts {
  const who = actorLink(event.actor, context);
  const mr = event.target ? `merge request ${targetLink(event.target)}` : 'a merge request';
  const where = projectLink(event.project, context);
  const branches = details.sourceBranch && details.targetBranch ? `${code(details.sourceBranch)} → ${code(details.targetBranch)}` : null;

  switch (event.action) {
    case 'opened':
      return parts(
        `${who} opened ${event.target?.draft ? 'draft ' : ''}${mr} in ${where}`,
        [branches, describePeopleAndLabels(details.assignees, details.reviewers, event.labels, context)],
        [descriptionQuote(details.description)],
      );
    case 'merged':
      return parts(`${who} merged ${mr} in ${where}`, [branches]);
    case 'closed':
    case 'reopened':
      return parts(`${who} ${event.action} ${mr} in ${where}`);
    case 'approval':
      return parts(`${who} approved ${mr} in ${where}`);
    case 'approved':
      return parts(`${who} approved ${mr} in ${where}: all required approvals given`);
    case 'unapproval':
      return parts(`${who} revoked their approval of ${mr} in ${where}`);
    case 'unapproved':
      return parts(`${who} revoked their approval of ${mr} in ${where}: required approvals no longer met`);
    case 'updated':
      return renderUpdate(event, details, context, { who, mr, where });
    default:
      return parts(`${who} ${inline(event.action)} ${mr} in ${where}`);
  }
}

/** Headline phrasings for the change an update is best described by, in order of preference. */
const HEADLINE_CHANGES: ChangeId[] = ['draft', 'reviewers', 'commits'];

function renderUpdate(
  event: GitLabEvent,
  details: MergeRequestDetails,
  context: RenderContext,
  words: { who: string; mr: string; where: string },
): PostParts {
  const lines = describeChanges(details.changes, context);
  const lead = HEADLINE_CHANGES.map((id) => lines.find((line) => line.id === id)).find((line) => line !== undefined);
  const rest = lines.filter((line) => line !== lead).map((line) => line.text);
  return parts(describeLead(lead, details, context, words), rest);
}

function describeLead(lead: ChangeLine | undefined, details: MergeRequestDetails, context: RenderContext, words: { who: string; mr: string; where: string }): string {
  const { who, mr, where } = words;
  switch (lead?.id) {
    case 'draft':
      return `${who} marked ${mr} as ${details.changes.draft === 'to_draft' ? 'draft' : 'ready'} in ${where}`;
    case 'reviewers': {
      const reviewers = joinWords(details.changes.reviewersAdded.map((person) => actorLink(person, context)));
      return `${who} requested a review of ${mr} from ${reviewers} in ${where}`;
    }
    case 'commits':
      return `${who} pushed new commits to ${mr} in ${where}`;
    default:
      return `${who} updated ${mr} in ${where}`;
  }
}
