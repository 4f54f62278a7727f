/** Building the envelope every parser returns, and the refusals parsers share. */
import { DEFAULT_INSTANCE } from '../../config.js';
import type { GitLabEvent, IgnoredEvent } from './event.js';
import { text, type Fields } from './payload.js';

type Essentials = Pick<GitLabEvent, 'kind' | 'action' | 'key' | 'details'>;

/** An event with the neutral defaults for everything a kind does not set. */
export function makeEvent(event: Essentials & Partial<GitLabEvent>): GitLabEvent {
  return {
    instance: DEFAULT_INSTANCE,
    project: null,
    group: null,
    actor: null,
    target: null,
    ref: null,
    labels: [],
    confidential: false,
    internal: false,
    occurredAt: null,
    ...event,
  };
}

export function ignore(reason: string): IgnoredEvent {
  return { ignored: reason };
}

/** A payload whose `object_kind` names another kind was sent under the wrong header: refuse rather than guess. */
export function checkObjectKind(payload: Fields, expected: readonly string[]): IgnoredEvent | null {
  const kind = text(payload.object_kind);
  return kind === null || expected.includes(kind) ? null : ignore(`object_kind ${kind} where ${expected.join(' or ')} was expected`);
}
