/** The SSE wire format and the resume rule of GET /events. */
import { describe, expect, it } from '@jest/globals';
import { eventData, resumeFrom, sseBlock } from '../../../server/src/webapp-api/event-stream.js';

describe('sseBlock', () => {
  it('writes one block per event, data as one line of JSON', () => {
    expect(sseBlock({ event: 'work', id: '12', data: { counts: { todos: 2 }, text: 'two\nlines' } })).toBe('event: work\nid: 12\ndata: {"counts":{"todos":2},"text":"two\\nlines"}\n\n');
  });

  it('writes the retry time, heartbeats as comments, and a bare resume point', () => {
    expect(sseBlock({ retryMs: 3000 })).toBe('retry: 3000\n\n');
    expect(sseBlock({ comment: 'heartbeat', id: '40' })).toBe(': heartbeat\nid: 40\n\n');
    expect(sseBlock({ id: '7' })).toBe('id: 7\n\n');
  });

  it('cannot be made to start another field or block', () => {
    expect(sseBlock({ event: 'work\n\ndata: x', id: '1\nevent: resync' })).toBe('event: workdata: x\nid: 1event: resync\n\n');
  });
});

describe('resumeFrom', () => {
  const kept = { oldest: '100', newest: '150' };

  it('starts fresh without Last-Event-ID', () => {
    expect(resumeFrom(undefined, kept)).toEqual({ kind: 'fresh' });
    expect(resumeFrom('', kept)).toEqual({ kind: 'fresh' });
  });

  it('replays after an id the database still covers', () => {
    expect(resumeFrom('99', kept)).toEqual({ kind: 'replay', afterId: '99' });
    expect(resumeFrom('120', kept)).toEqual({ kind: 'replay', afterId: '120' });
    expect(resumeFrom('150', kept)).toEqual({ kind: 'replay', afterId: '150' });
  });

  it('asks for a resync when rows after the id were pruned, the id was never issued here, or is no id', () => {
    expect(resumeFrom('98', kept)).toEqual({ kind: 'resync' });
    expect(resumeFrom('151', kept)).toEqual({ kind: 'resync' });
    expect(resumeFrom('12abc', kept)).toEqual({ kind: 'resync' });
    expect(resumeFrom('99999999999999999999', kept)).toEqual({ kind: 'resync' });
  });

  it('with nothing kept: only the id of an empty history replays', () => {
    const empty = { oldest: null, newest: null };
    expect(resumeFrom('0', empty)).toEqual({ kind: 'replay', afterId: '0' });
    expect(resumeFrom('5', empty)).toEqual({ kind: 'resync' });
  });
});

describe('eventData', () => {
  it('tells the client what to refetch, nothing more', () => {
    expect(eventData({ id: '1', kind: 'work', userId: 'u', data: { counts: { todos: 1 }, extra: 'x' } })).toEqual({ counts: { todos: 1 } });
    expect(eventData({ id: '2', kind: 'connection', userId: 'u', data: { connected: true } })).toEqual({ connected: true });
    expect(eventData({ id: '3', kind: 'subscriptions', channelId: 'c', data: {} })).toEqual({ channelId: 'c' });
  });
});
