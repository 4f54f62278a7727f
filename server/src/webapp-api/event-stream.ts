/** The server-sent-events wire format and the resume rule of GET /events (pure). */
import type { StoredLiveEvent } from '../store/live-events.js';

/**
 * One SSE block. A block with an `id` and no data dispatches nothing in the
 * browser but moves its Last-Event-ID: that is how heartbeats keep a quiet
 * stream's resume point recent.
 */
export function sseBlock(fields: { comment?: string; event?: string; id?: string; data?: unknown; retryMs?: number }): string {
  const lines: string[] = [];
  if (fields.comment !== undefined) lines.push(`: ${fields.comment.replace(/[\r\n]+/g, ' ')}`);
  if (fields.retryMs !== undefined) lines.push(`retry: ${fields.retryMs}`);
  if (fields.event !== undefined) lines.push(`event: ${fields.event.replace(/[\r\n]+/g, '')}`);
  if (fields.id !== undefined) lines.push(`id: ${fields.id.replace(/[\r\n\0]+/g, '')}`);
  // JSON.stringify escapes line breaks inside strings, so the data is one line.
  if (fields.data !== undefined) lines.push(`data: ${JSON.stringify(fields.data)}`);
  return `${lines.join('\n')}\n\n`;
}

export type Resume = { kind: 'fresh' } | { kind: 'replay'; afterId: string } | { kind: 'resync' };

/**
 * Where a (re)connecting stream starts. Without Last-Event-ID: now. With one
 * the database still covers (no row after it was pruned): replay after it.
 * Otherwise (pruned past it, an id this database never issued, e.g. after a
 * restore, or garbage): the client must refetch everything. Ids may have
 * gaps (rolled back inserts); a gap just before the oldest kept row is read
 * as a loss, which costs a needless refetch at worst.
 */
export function resumeFrom(lastEventId: string | undefined, kept: { oldest: string | null; newest: string | null }): Resume {
  if (lastEventId === undefined || lastEventId === '') return { kind: 'fresh' };
  if (!/^\d{1,19}$/.test(lastEventId)) return { kind: 'resync' };
  const last = BigInt(lastEventId);
  if (kept.newest === null || kept.oldest === null) return last === 0n ? { kind: 'replay', afterId: '0' } : { kind: 'resync' };
  if (last > BigInt(kept.newest)) return { kind: 'resync' };
  if (last < BigInt(kept.oldest) - 1n) return { kind: 'resync' };
  return { kind: 'replay', afterId: last.toString() };
}

/** What the client is told about an event: hints to refetch, never GitLab content. */
export function eventData(event: StoredLiveEvent): Record<string, unknown> {
  switch (event.kind) {
    case 'subscriptions':
      return { channelId: event.channelId ?? null };
    case 'connection':
      return { connected: event.data?.connected === true };
    case 'work':
      return { counts: event.data?.counts ?? null };
  }
}
