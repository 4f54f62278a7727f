/**
 * From a webhook delivery (its `X-Gitlab-Event` header and JSON body) to a
 * normalised event, or the reason it needs no post. Never throws: a payload
 * that breaks a parser is reported as unparseable, so one odd delivery cannot
 * hold up the others.
 */
import type { ParseResult } from './event.js';
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
import { asFields, text, type Fields } from './payload.js';
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
  if (!parse) return ignore(`unknown event kind: ${name}`);
  const fields = asFields(payload);
  if (!fields) return ignore(`unparseable ${name} payload: not a JSON object`);
  try {
    return parse(fields);
  } catch (error) {
    return ignore(`unparseable ${name} payload: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function parseSystemHook(payload: Fields): ParseResult {
  const name = text(payload.event_name) ?? text(payload.object_kind) ?? '';
  return (SYSTEM_PROJECT_EVENTS[name] ?? parseSystem)(payload);
}
