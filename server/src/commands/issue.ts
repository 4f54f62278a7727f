/**
 * `/gitlab issue create | show | search | close | comment`: issues, as the user (their token, their rights),
 * on the GitLab a URL or `--instance` names (command-instance.ts).
 */
import type pg from 'pg';
import type { GitLabConnections } from '../accounts/gitlab-connections.js';
import { refuseWrite, type ScopeSetting } from '../accounts/write-access.js';
import { gitlabApi, gitlabRefusal, type GitLabApi } from '../gitlab/api.js';
import { scopedKey } from '../gitlab/instances.js';
import { factLine, plural } from '../render/format.js';
import { link } from '../render/links.js';
import { code, excerpt, inline, quote } from '../render/text.js';
import { audit } from '../store/audit-log.js';
import type { CommandCall, Subcommand } from './command-router.js';
import { parseObjectRef } from './gitlab-references.js';
import { parseTarget } from './subscription-options.js';
import { commandInstance, connectCommandFor, INSTANCE_OPTION, onInstance, type InstanceChoiceDeps } from './command-instance.js';

export interface IssueDeps extends InstanceChoiceDeps {
  pool: pg.Pool;
  /** The default instance's (the instance chosen brings its own, and its URL and scope setting). */
  connections: GitLabConnections | null;
  gitlabUrl: string;
  /** GITLAB_OAUTH_SCOPES: with read_api, `show` and `search` work and the rest answer that they cannot. */
  scopeSetting: ScopeSetting;
}

/** Each takes `--instance <name>` too: a project path or reference on another GitLab than the default. */
const USAGE = {
  create: 'issue create <project> <title> [--description …] [--labels a,b]',
  show: 'issue show <group/project#12 or URL>',
  search: 'issue search <words> [--project <path>] [--state opened|closed|all]',
  close: 'issue close <group/project#12 or URL>',
  comment: 'issue comment <group/project#12 or URL> <text>',
};
/** The verbs that write to GitLab, and what they do (for a read-only bridge's answer). */
const WRITES: Partial<Record<keyof typeof USAGE, string>> = { create: 'create issues', close: 'close issues', comment: 'comment on issues' };
/** Search results shown; the rest are counted. */
const FOUND = 10;

interface IssueJson {
  id: number;
  iid: number;
  title: string;
  description: string | null;
  state: string;
  web_url: string;
  labels: string[];
  confidential: boolean;
  author: { name: string };
  assignees?: { name: string }[];
  references: { full: string };
  user_notes_count?: number;
  created_at: string;
}

type Args = { values: Record<string, unknown>; positionals: string[] };

export const issueCommand: Subcommand<IssueDeps> = {
  name: 'issue',
  summary: 'create, show, search, close or comment on GitLab issues, as yourself',
  usage: `${Object.values(USAGE).map((usage) => usage.replace(/^issue /, '')).join(' | ').replace(/^/, 'issue ')} [--instance <name>]`,
  options: { description: { type: 'string' }, labels: { type: 'string' }, project: { type: 'string' }, state: { type: 'string' }, ...INSTANCE_OPTION },
  async run(call, { values, positionals }, deps) {
    const [action = '', ...rest] = positionals;
    const verb = action.toLowerCase() as keyof typeof USAGE;
    if (!(verb in USAGE)) return `Usage: \`/${call.trigger} ${issueCommand.usage}\``;
    // `--instance` goes with every verb.
    const misplaced = Object.keys(values).filter((option) => option !== 'instance' && !USAGE[verb].includes(`--${option}`));
    if (misplaced.length > 0) return `\`--${misplaced[0]}\` does not go with \`issue ${verb}\`. Usage: \`/${call.trigger} ${USAGE[verb]}\``;
    // The first word names the project or issue (search: `--project`); a URL there says which GitLab.
    const instance = commandInstance(deps, values, [verb === 'search' ? (typeof values.project === 'string' ? values.project : undefined) : rest[0]]);
    if (typeof instance === 'string') return instance;
    const caller = instance.connections ? await instance.connections.callerFor(call.userId) : null;
    const refusal = WRITES[verb] ? refuseWrite(instance.scopeSetting, WRITES[verb], caller?.scopes) : null;
    if (refusal) return refusal.text;
    if (!caller) return `Issues are read and written as your GitLab account${onInstance(deps, instance)}: ${connectCommandFor(call, instance)} first.`;
    const api = gitlabApi(instance.url, caller.token);
    try {
      return await ACTIONS[verb](call, { values, positionals: rest }, api, { ...deps, gitlabUrl: instance.url, instanceName: instance.name });
    } catch (error) {
      const refusal = gitlabRefusal(error);
      if (!refusal) throw error;
      if (refusal.status === 404) return 'That project or issue does not exist on GitLab, or your GitLab account cannot see it.';
      if (refusal.status === 403) return `GitLab refused: your role in that project does not allow it${verb === 'comment' ? ' (the discussion may be locked)' : verb === 'close' ? ' (closing needs the Reporter role, or being its author or assignee)' : ''}.`;
      return `GitLab answered ${refusal.status}: ${refusal.message}`;
    }
  },
};

/** The deps on the instance chosen: its URL, and its name for the audit log (another instance's targets carry it). */
type OnInstance = IssueDeps & { instanceName: string };
type Action = (call: CommandCall, args: Args, api: GitLabApi, deps: OnInstance) => Promise<string>;

const ACTIONS: Record<keyof typeof USAGE, Action> = {
  async create(call, { values, positionals }, api, deps) {
    const [which, ...titleWords] = positionals;
    const title = titleWords.join(' ').trim();
    if (!which || !title) return `Name the project and give a title. Usage: \`/${call.trigger} ${USAGE.create}\``;
    const project = parseTarget(which, deps.gitlabUrl);
    if (!project.ok) return `${project.error}.`;
    if (title.length > 255) return `The title is ${title.length} characters long; GitLab takes at most 255.`;
    const labels = typeof values.labels === 'string' ? splitLabels(values.labels) : [];
    const issue = (await api.Issues.create(project.path, title, {
      ...(typeof values.description === 'string' ? { description: values.description } : {}),
      ...(labels.length > 0 ? { labels: labels.join(',') } : {}),
    })) as unknown as IssueJson;
    await audit(deps.pool, { actor: call.userId, action: 'issue.created', target: scopedKey(deps.instanceName, `project:${project.path}`), details: { issue: issue.references.full, id: issue.id } });
    return `Created ${issueLink(issue)}${issue.labels.length > 0 ? ` with labels ${issue.labels.map((label) => code(label)).join(', ')}` : ''}.`;
  },

  async show(call, { positionals }, api, deps) {
    const named = oneRef(call, positionals, 'show', deps);
    if (!named.ok) return named.error;
    return renderIssue((await api.Issues.show(named.number, { projectId: named.project })) as unknown as IssueJson);
  },

  async search(call, { values, positionals }, api, deps) {
    const query = positionals.join(' ').trim();
    if (query.length < 2) return `Give at least two characters to search for. Usage: \`/${call.trigger} ${USAGE.search}\``;
    const state = typeof values.state === 'string' ? values.state.toLowerCase() : 'opened';
    if (!['opened', 'closed', 'all'].includes(state)) return `\`--state\` is opened, closed or all. Usage: \`/${call.trigger} ${USAGE.search}\``;
    let projectId: string | undefined;
    if (typeof values.project === 'string') {
      const project = parseTarget(values.project, deps.gitlabUrl);
      if (!project.ok) return `${project.error}.`;
      projectId = project.path;
    }
    const { data, paginationInfo } = (await api.Issues.all({
      search: query,
      scope: 'all',
      orderBy: 'updated_at',
      perPage: FOUND,
      maxPages: 1,
      showExpanded: true,
      ...(state === 'all' ? {} : { state: state as 'opened' | 'closed' }),
      ...(projectId ? { projectId } : {}),
    } as Parameters<GitLabApi['Issues']['all']>[0])) as unknown as { data: IssueJson[]; paginationInfo: { total: number } };
    const total = Number.isFinite(paginationInfo.total) ? paginationInfo.total : data.length;
    const what = `${state === 'all' ? '' : `${state === 'opened' ? 'open' : 'closed'} `}issues matching ${code(query)}${projectId ? ` in \`${projectId}\`` : ''}`;
    if (data.length === 0) return `No ${what} that you can see.`;
    return [
      `#### ${plural(total, 'issue')}: ${what}`,
      ...data.map((issue) => `- ${issueLink(issue)}${issue.state === 'closed' ? ' · closed' : ''}${issue.confidential ? ' · confidential' : ''}`),
      ...(total > data.length ? [`- … and ${total - data.length} more: add words, or \`--project\`.`] : []),
    ].join('\n');
  },

  async close(call, { positionals }, api, deps) {
    const named = oneRef(call, positionals, 'close', deps);
    if (!named.ok) return named.error;
    const before = (await api.Issues.show(named.number, { projectId: named.project })) as unknown as IssueJson;
    if (before.state === 'closed') return `${issueLink(before)} is closed already.`;
    const issue = (await api.Issues.edit(named.project, named.number, { stateEvent: 'close' })) as unknown as IssueJson;
    await audit(deps.pool, { actor: call.userId, action: 'issue.closed', target: scopedKey(deps.instanceName, `project:${named.project}`), details: { issue: issue.references.full, id: issue.id } });
    return `Closed ${issueLink(issue)}.`;
  },

  async comment(call, { positionals }, api, deps) {
    const [which, ...words] = positionals;
    const body = words.join(' ').trim();
    if (!which || !body) return `Name the issue and say something. Usage: \`/${call.trigger} ${USAGE.comment}\``;
    const named = parseObjectRef(which, deps.gitlabUrl, 'issue');
    if (!named.ok) return `${named.error}.`;
    const note = (await api.IssueNotes.create(named.project, named.number, body)) as unknown as { id: number };
    const issue = (await api.Issues.show(named.number, { projectId: named.project })) as unknown as IssueJson;
    return `Commented on ${issueLink(issue)} (${link('your comment', `${issue.web_url}#note_${note.id}`)}).`;
  },
};

function oneRef(call: CommandCall, positionals: string[], verb: 'show' | 'close', deps: IssueDeps): ReturnType<typeof parseObjectRef> {
  if (positionals.length !== 1) return { ok: false, error: `Name one issue. Usage: \`/${call.trigger} ${USAGE[verb]}\`` };
  const named = parseObjectRef(positionals[0]!, deps.gitlabUrl, 'issue');
  return named.ok ? named : { ok: false, error: `${named.error}.` };
}

export function splitLabels(value: string): string[] {
  return [...new Set(value.split(',').map((label) => label.trim()).filter(Boolean))];
}

const issueLink = (issue: IssueJson): string => link(inline(`${issue.references.full} ${issue.title}`), issue.web_url);

/** One issue as `issue show` answers it: GitLab text made safe, as in channel posts. */
export function renderIssue(issue: IssueJson): string {
  const assignees = issue.assignees ?? [];
  const facts = factLine([
    issue.state === 'closed' ? '**closed**' : 'open',
    issue.confidential ? 'confidential' : null,
    `by ${inline(issue.author.name, 80)}`,
    assignees.length > 0 ? `assigned to ${assignees.map((assignee) => inline(assignee.name, 80)).join(', ')}` : 'unassigned',
    issue.labels.length > 0 ? issue.labels.map((label) => code(label, 50)).join(' ') : null,
    issue.user_notes_count ? plural(issue.user_notes_count, 'comment') : null,
    `opened ${issue.created_at.slice(0, 10)}`,
  ]);
  const description = issue.description ? excerpt(issue.description, { maxChars: 700, maxLines: 12 }) : '';
  return [`#### ${issueLink(issue)}`, facts, ...(description ? ['', quote(description)] : [])].join('\n');
}
