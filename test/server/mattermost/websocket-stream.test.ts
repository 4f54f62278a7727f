/**
 * What the bridge takes from Mattermost's WebSocket messages. Shapes as Mattermost sends them: the post
 * and the reaction are JSON strings inside `data` (app/post.go, app/reaction.go: model.WebSocketEvent),
 * the channel of a reaction in `broadcast.channel_id`.
 */
import { describe, expect, it } from '@jest/globals';
import type { WebSocket as UndiciWebSocket } from 'undici';
import { createLogger } from '../../../server/src/log.js';
import { guardMessages, normalisePost, toChatEvent } from '../../../server/src/mattermost/websocket-stream.js';

const post = {
  id: 'post1',
  channel_id: 'chan1',
  root_id: 'root1',
  user_id: 'user1',
  message: 'LGTM',
  create_at: 1000,
  update_at: 1000,
  edit_at: 0,
  delete_at: 0,
  type: '',
  props: { disable_group_highlight: true },
  metadata: { files: [{ id: 'f1', name: 'log.txt' }] },
};
const reaction = { user_id: 'user1', post_id: 'root1', emoji_name: '+1', create_at: 2000 };

describe('toChatEvent', () => {
  it('posted, post_edited and post_deleted carry the post, parsed from its JSON string', () => {
    for (const [event, kind] of [['posted', 'posted'], ['post_edited', 'edited'], ['post_deleted', 'deleted']] as const) {
      expect(toChatEvent({ event, data: { post: JSON.stringify(post), channel_type: 'O' }, broadcast: { channel_id: 'chan1' } })).toEqual({ kind, post });
    }
  });

  it('reactions carry the channel they were made in', () => {
    expect(toChatEvent({ event: 'reaction_added', data: { reaction: JSON.stringify(reaction) }, broadcast: { channel_id: 'chan1' } })).toEqual({
      kind: 'reaction_added',
      reaction,
      channelId: 'chan1',
    });
    // Without a broadcast channel, the reaction's own channel_id (newer servers set it) will do.
    expect(toChatEvent({ event: 'reaction_removed', data: { reaction: JSON.stringify({ ...reaction, channel_id: 'chan2' }) } })).toMatchObject({ kind: 'reaction_removed', channelId: 'chan2' });
  });

  it('other events, and messages that do not parse or lack what the bridge needs, are dropped without throwing', () => {
    const dropped = [
      { event: 'hello', data: { server_version: '10.5.0' } },
      { event: 'typing', data: { parent_id: '' }, broadcast: { channel_id: 'chan1' } },
      { event: 'posted', data: { post: '{not json' } },
      { event: 'posted', data: { post: '"a string"' } },
      { event: 'posted', data: {} },
      { event: 'posted' },
      { event: 'posted', data: { post: JSON.stringify({ ...post, id: 5 }) } },
      { event: 'post_edited', data: { post: JSON.stringify({ id: 'x' }) } },
      { event: 'reaction_added', data: { reaction: JSON.stringify(reaction) } },
      { event: 'reaction_added', data: { reaction: JSON.stringify({ ...reaction, emoji_name: null }) }, broadcast: { channel_id: 'chan1' } },
      { event: 'reaction_removed', data: { reaction: '' }, broadcast: { channel_id: 'chan1' } },
      {},
    ];
    for (const message of dropped) expect({ message, event: toChatEvent(message) }).toEqual({ message, event: null });
  });
});

describe('normalisePost', () => {
  it('fills in what some Mattermost versions leave out, so a handler never meets undefined', () => {
    expect(normalisePost({ id: 'p', channel_id: 'c' })).toEqual({ id: 'p', channel_id: 'c', root_id: '', user_id: '', message: '', create_at: 0, update_at: 0, edit_at: 0, delete_at: 0, type: '' });
    expect(normalisePost({ id: 'p', channel_id: 'c', create_at: 50 }).update_at).toBe(50);
  });

  it('keeps what is there, including fields it does not know', () => {
    expect(normalisePost(post)).toEqual(post);
  });
});

describe('a frame that is not JSON', () => {
  it('is dropped where the client would have thrown it out of the socket (which ends the process)', () => {
    const socket = new EventTarget() as unknown as UndiciWebSocket;
    guardMessages(socket, createLogger('silent'));
    const seen: unknown[] = [];
    // What @mattermost/client does with every frame (websocket.js: JSON.parse(evt.data)).
    (socket as unknown as { onmessage: (event: { data: string }) => void }).onmessage = (event) => seen.push(JSON.parse(event.data));
    const frame = (data: string) => Object.assign(new Event('message'), { data });
    expect(() => socket.dispatchEvent(frame('not json'))).not.toThrow();
    socket.dispatchEvent(frame('{"event":"hello","seq":0}'));
    expect(seen).toEqual([{ event: 'hello', seq: 0 }]);
  });
});
