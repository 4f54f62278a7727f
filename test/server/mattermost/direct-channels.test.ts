/**
 * The bot's direct message channels, against the fake Mattermost: each is asked for once and then
 * remembered, but only so many, so that memory does not grow with every user the bot ever wrote to.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createMattermostClient } from '../../../server/src/mattermost/client.js';
import { createDirectChannels } from '../../../server/src/mattermost/direct-channels.js';
import { startFakeMattermost, type FakeMattermost } from '../../fakes/fake-mattermost.js';

let fake: FakeMattermost;
let botToken: string;

beforeAll(async () => {
  fake = await startFakeMattermost();
  botToken = fake.addUser('gitlab', { bot: true }).token;
});
afterAll(() => fake.close());

const asked = () => fake.requests.filter((request) => request.operationId === 'CreateDirectChannel').length;

describe('direct message channels', () => {
  it('asks Mattermost once per user, and forgets them all once more than it keeps are known', async () => {
    const [ann, bob, cat] = ['ann', 'bob', 'cat'].map((name) => fake.addUser(name).user.id) as [string, string, string];
    const channelOf = createDirectChannels(createMattermostClient(fake.url, botToken), 2);
    const before = asked();

    const annChannel = await channelOf(ann);
    expect(await channelOf(ann)).toBe(annChannel);
    await channelOf(bob);
    expect(asked() - before).toBe(2);

    // A third user: the two known are forgotten, and asked for again (Mattermost answers the same channel).
    await channelOf(cat);
    expect(await channelOf(ann)).toBe(annChannel);
    expect(asked() - before).toBe(4);
    expect(fake.violations).toEqual([]);
  });
});
