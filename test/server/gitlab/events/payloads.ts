/** Loading webhook fixtures for parser and renderer tests, fresh each time so a test can edit its copy. */
import { readdirSync } from 'node:fs';
import type { GitLabEvent } from '../../../../server/src/gitlab/events/event.js';
import { isIgnored } from '../../../../server/src/gitlab/events/event.js';
import { parseEvent } from '../../../../server/src/gitlab/events/parse-event.js';
import { webhookFixture } from '../../../helpers/fixtures.js';

/** Fixture payloads are edited freely in tests (any field, any type): a loose type keeps that short. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Payload = any;

export const FIXTURE_NAMES: string[] = readdirSync(new URL('../../../fixtures/gitlab/webhooks/', import.meta.url))
  .filter((name) => name.endsWith('.json'))
  .sort();

export function loadFixture(name: string): { header: string; payload: Payload } {
  const { body, event } = webhookFixture(name);
  return { header: event, payload: JSON.parse(body) };
}

/** Parses a fixture, after `edit` changed the payload; fails the test if it was ignored. */
export function parseFixture(name: string, edit?: (payload: Payload) => void): GitLabEvent {
  const { header, payload } = loadFixture(name);
  edit?.(payload);
  const result = parseEvent(header, payload);
  if (isIgnored(result)) throw new Error(`${name} was ignored: ${result.ignored}`);
  return result;
}

/** The reason a fixture, after `edit`, was ignored; fails the test if it was not. */
export function ignoredReason(name: string, edit: (payload: Payload) => void): string {
  const { header, payload } = loadFixture(name);
  edit(payload);
  const result = parseEvent(header, payload);
  if (!isIgnored(result)) throw new Error(`${name} was not ignored but parsed as ${result.kind}:${result.action}`);
  return result.ignored;
}
