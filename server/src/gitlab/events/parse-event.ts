/**
 * From a webhook delivery (its `X-Gitlab-Event` header and JSON body) to a
 * normalised event, or the reason it needs no post. Never throws: a payload
 * that breaks a parser is reported as unparseable, so one odd delivery cannot
 * hold up the others.
 */
import { isIgnored, type IgnoredEvent, type ParseResult, type PayloadAbout } from './event.js';
import { parseAccessToken } from './access-token.js';
import { parseDeployment } from './deployment.js';
import { parseEmoji } from './emoji.js';
import { ignore } from './envelope.js';
import { parseFeatureFlag } from './feature-flag.js';
import { parseIssue } from './issue.js';
import { parseJob } from './job.js';
import { parseMember } from './member.js';
import { parseMergeRequest } from './merge-request.js';
import { parseMilestone } from './milestone.js';
import { parseNote } from './note.js';
import { asFields, fields, number, text, type Fields } from './payload.js';
import { parsePipeline } from './pipeline.js';
import { parseProject } from './project.js';
import { parsePush } from './push.js';
import { parseRelease } from './release.js';
import { parseSubgroup } from './subgroup.js';
import { parseSystem } from './system.js';
import { parseTagPush } from './tag-push.js';
import { parseVulnerability } from './vulnerability.js';
import { parseWikiPage } from './wiki-page.js';

type Parser = (payload: Fields) => ParseResult;

/** Header values, lower-cased. `Build Hook` is the pre-9.x name of `Job Hook`. */
const PARSERS: Record<string, Parser> = {
  'push hook': parsePush,
  'tag push hook': parseTagPush,
  'issue hook': (payload) => parseIssue(payload),
  'confidential issue hook': (payload) => parseIssue(payload, { confidentialHook: true }),
  'work item hook': (payload) => parseIssue(payload),
  'note hook': (payload) => parseNote(payload),
  'confidential note hook': (payload) => parseNote(payload, { confidentialHook: true }),
  'merge request hook': parseMergeRequest,
  'wiki page hook': parseWikiPage,
  'pipeline hook': parsePipeline,
  'job hook': parseJob,
  'build hook': parseJob,
  'deployment hook': parseDeployment,
  'release hook': parseRelease,
  'milestone hook': parseMilestone,
  'emoji hook': parseEmoji,
  'feature flag hook': parseFeatureFlag,
  'resource access token hook': parseAccessToken,
  'vulnerability hook': parseVulnerability,
  'member hook': parseMember,
  'project hook': parseProject,
  'subgroup hook': parseSubgroup,
  'system hook': parseSystemHook,
};

/** System hooks send project-shaped pushes and MRs too: those parse as their own kinds, so they share keys with project hooks. */
const SYSTEM_PROJECT_EVENTS: Record<string, Parser> = {
  push: parsePush,
  tag_push: parseTagPush,
  merge_request: parseMergeRequest,
};

export function parseEvent(header: string, payload: unknown): ParseResult {
  const name = typeof header === 'string' ? header.trim().replace(/\s+/g, ' ') : '';
  const parse = PARSERS[name.toLowerCase()];
  const fields = asFields(payload);
  if (!fields) return ignore(parse ? `unparseable ${name} payload: not a JSON object` : `unknown event kind: ${name}`);
  const about = (ignored: IgnoredEvent): IgnoredEvent => ({ ...ignored, about: aboutPayload(name, fields) });
  if (!parse) return about(ignore(`unknown event kind: ${name}`));
  try {
    const parsed = parse(fields);
    return isIgnored(parsed) ? about(parsed) : parsed;
  } catch (error) {
    return about(ignore(`unparseable ${name} payload: ${error instanceof Error ? error.message : String(error)}`));
  }
}

/**
 * An ignored payload's kind (from its header: `Confidential Note Hook` → `note`), action and the
 * project or group it names, read loosely: only to say in `subscriptions explain` what arrived.
 */
export function aboutPayload(header: string, payload: Fields): PayloadAbout {
  const words = header.toLowerCase().replace(/^confidential /, '').replace(/ hook$/, '');
  const kind = KIND_OF_HOOK[words] ?? words.replace(/[^a-z0-9]+/g, '_').slice(0, 64);
  const attributes = fields(payload.object_attributes);
  const project = fields(payload.project);
  const group = fields(payload.group);
  const path = text(project.path_with_namespace) ?? text(payload.path_with_namespace) ?? text(group.full_path) ?? text(payload.full_path) ?? text(group.group_path);
  return {
    kind,
    action: (text(attributes.action) ?? text(payload.action) ?? text(payload.event_name) ?? '').slice(0, 64),
    path: path?.toLowerCase() ?? null,
    projectId: number(project.id) ?? number(payload.project_id),
  };
}

/** Header names (without `Confidential ` and ` Hook`) whose kind is named otherwise. */
const KIND_OF_HOOK: Record<string, string> = { 'work item': 'issue', build: 'job', 'resource access token': 'access_token' };

function parseSystemHook(payload: Fields): ParseResult {
  const name = text(payload.event_name) ?? text(payload.object_kind) ?? '';
  return (SYSTEM_PROJECT_EVENTS[name] ?? parseSystem)(payload);
}
