/**
 * Link previews: one issue, merge request, pipeline or commit read from GitLab's
 * REST API as the user, shaped for the webapp's tooltip. Titles and names stay
 * plain data: the webapp shows them as text, never as Markdown.
 */
import { GitLabHttpError, type PollClient } from './poll-client.js';
import type { GitLabObjectUrl } from './parse-gitlab-url.js';

export interface PreviewPerson {
  username: string;
  name: string;
}
export interface PreviewLabel {
  title: string;
  color: string | null;
  textColor: string | null;
}

export type Preview =
  | {
      kind: 'issue';
      reference: string;
      title: string;
      state: string;
      confidential: boolean;
      author: PreviewPerson | null;
      assignees: PreviewPerson[];
      labels: PreviewLabel[];
      milestone: string | null;
      url: string;
      createdAt: string;
    }
  | {
      kind: 'merge_request';
      reference: string;
      title: string;
      state: string;
      draft: boolean;
      author: PreviewPerson | null;
      assignees: PreviewPerson[];
      reviewers: PreviewPerson[];
      labels: PreviewLabel[];
      sourceBranch: string;
      targetBranch: string;
      pipelineStatus: string | null;
      approvals: { required: number; given: number } | null;
      conflicts: boolean;
      url: string;
      createdAt: string;
    }
  | { kind: 'pipeline'; reference: string; status: string; ref: string; sha: string; source: string | null; url: string; createdAt: string; duration: number | null }
  | { kind: 'commit'; reference: string; title: string; author: { name: string }; sha: string; url: string; createdAt: string };

type PersonJson = { username?: string; name?: string } | null | undefined;
type LabelJson = string | { name?: string; color?: string; text_color?: string };

const person = (value: PersonJson): PreviewPerson | null => (value?.username ? { username: value.username, name: value.name ?? value.username } : null);
const people = (values: PersonJson[] | null | undefined): PreviewPerson[] => (values ?? []).flatMap((value) => person(value) ?? []);
/** REST issues and merge requests carry label names only; colours come with `with_labels_details` lists. */
const labels = (values: LabelJson[] | null | undefined): PreviewLabel[] =>
  (values ?? []).map((label) => (typeof label === 'string' ? { title: label, color: null, textColor: null } : { title: label.name ?? '', color: label.color ?? null, textColor: label.text_color ?? null }));

interface IssuableJson {
  title: string;
  state: string;
  web_url: string;
  created_at: string;
  references?: { full?: string };
  author?: PersonJson;
  assignees?: PersonJson[];
  labels?: LabelJson[];
}

/** GitLab's refusals (404, 403) and other failures are thrown as the poll client throws them. */
export async function readPreview(gitlab: PollClient, token: string, target: GitLabObjectUrl): Promise<Preview> {
  const project = `/projects/${encodeURIComponent(target.project)}`;
  switch (target.kind) {
    case 'issue': {
      const { body } = await gitlab.get<IssuableJson & { confidential?: boolean; milestone?: { title?: string } | null }>(token, `${project}/issues/${target.iid}`);
      return {
        kind: 'issue',
        reference: body.references?.full ?? `${target.project}#${target.iid}`,
        title: body.title,
        state: body.state,
        confidential: body.confidential === true,
        author: person(body.author),
        assignees: people(body.assignees),
        labels: labels(body.labels),
        milestone: body.milestone?.title ?? null,
        url: body.web_url,
        createdAt: body.created_at,
      };
    }
    case 'merge_request': {
      const [{ body }, approvals] = await Promise.all([
        gitlab.get<
          IssuableJson & { draft?: boolean; work_in_progress?: boolean; reviewers?: PersonJson[]; source_branch: string; target_branch: string; has_conflicts?: boolean; head_pipeline?: { status?: string } | null }
        >(token, `${project}/merge_requests/${target.iid}`),
        readApprovals(gitlab, token, `${project}/merge_requests/${target.iid}/approvals`),
      ]);
      return {
        kind: 'merge_request',
        reference: body.references?.full ?? `${target.project}!${target.iid}`,
        title: body.title,
        state: body.state,
        draft: body.draft ?? body.work_in_progress ?? false,
        author: person(body.author),
        assignees: people(body.assignees),
        reviewers: people(body.reviewers),
        labels: labels(body.labels),
        sourceBranch: body.source_branch,
        targetBranch: body.target_branch,
        pipelineStatus: body.head_pipeline?.status ?? null,
        approvals,
        conflicts: body.has_conflicts === true,
        url: body.web_url,
        createdAt: body.created_at,
      };
    }
    case 'pipeline': {
      const { body } = await gitlab.get<{ id: number; status: string; ref: string; sha: string; source?: string; web_url: string; created_at: string; duration?: number | null }>(
        token,
        `${project}/pipelines/${target.id}`,
      );
      return {
        kind: 'pipeline',
        reference: `${target.project} pipeline #${body.id}`,
        status: body.status,
        ref: body.ref,
        sha: body.sha,
        source: body.source ?? null,
        url: body.web_url,
        createdAt: body.created_at,
        duration: body.duration ?? null,
      };
    }
    case 'commit': {
      const { body } = await gitlab.get<{ id: string; short_id: string; title: string; author_name: string; web_url: string; created_at: string }>(
        token,
        `${project}/repository/commits/${encodeURIComponent(target.sha)}`,
      );
      return { kind: 'commit', reference: `${target.project}@${body.short_id}`, title: body.title, author: { name: body.author_name }, sha: body.id, url: body.web_url, createdAt: body.created_at };
    }
  }
}

/** Approvals need GitLab Premium for rules; a server without the endpoint (or refusing it) gives none. */
async function readApprovals(gitlab: PollClient, token: string, path: string): Promise<{ required: number; given: number } | null> {
  try {
    const { body } = await gitlab.get<{ approvals_required?: number; approved_by?: unknown[] }>(token, path);
    return { required: body.approvals_required ?? 0, given: body.approved_by?.length ?? 0 };
  } catch (error) {
    if (error instanceof GitLabHttpError && (error.status === 404 || error.status === 403)) return null;
    throw error;
  }
}
