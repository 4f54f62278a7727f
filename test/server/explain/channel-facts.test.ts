/**
 * The admin's explain report names every channel that follows a project, asking Mattermost (as the bot) for
 * each: a group followed by hundreds of channels must not become hundreds of calls at once.
 */
import { describe, expect, it } from '@jest/globals';
import type { Channel } from '@mattermost/types/channels';
import type { Team } from '@mattermost/types/teams';
import { channelFacts } from '../../../server/src/explain/read-explanation.js';

describe('channel facts for the explain report', () => {
  it('asks for a few channels at a time, and gives every one in the order asked, unknown ones without facts', async () => {
    let inFlight = 0;
    let most = 0;
    let teamCalls = 0;
    const answer = <T>(value: () => T): Promise<T> => {
      most = Math.max(most, (inFlight += 1));
      return new Promise<T>((resolve, reject) =>
        setImmediate(() => {
          inFlight -= 1;
          try {
            resolve(value());
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        }),
      );
    };
    const bot = {
      getChannel: (id: string) =>
        answer(() => {
          if (id === 'gone') throw new Error('404');
          return { id, name: `name-${id}`, display_name: `Room ${id}`, type: 'O', team_id: 'team-1' } as Channel;
        }),
      getTeam: (id: string) => answer(() => ((teamCalls += 1), { id, name: 'acme' } as Team)),
    };
    const ids = [...Array.from({ length: 40 }, (_, index) => `c${index}`), 'gone'];
    const facts = await channelFacts(bot as never, ids);
    expect(most).toBeLessThanOrEqual(8);
    expect(most).toBeGreaterThan(1);
    expect([...facts.keys()]).toEqual(ids);
    expect(facts.get('c7')).toEqual({ name: 'Room c7', type: 'O', teamName: 'acme' });
    expect(facts.get('gone')).toEqual({ name: null, type: null, teamName: null });
    expect(teamCalls).toBe(1);
  });
});
