/**
 * The pure parts of acting on several GitLabs: which instance a command means,
 * buttons signed with their object's instance (and none for a read-only one),
 * code links of GitLabs sharing a host, and a thread's project confirmed only
 * against a subscription on the thread's own instance.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { depsOnInstance } from '../../../server/src/actions/action-instance.js';
import { buttonSpecsOf, onInstance, type ButtonSpec } from '../../../server/src/actions/button-spec.js';
import { createButtonSigner, type ButtonClaims } from '../../../server/src/actions/render-buttons.js';
import { targetName } from '../../../server/src/actions/run-action.js';
import type { AccountInstance } from '../../../server/src/commands/account.js';
import { commandInstance } from '../../../server/src/commands/command-instance.js';
import type { GitLabInstanceConfig } from '../../../server/src/config.js';
import { createThreadProjectCheck } from '../../../server/src/conversations/thread-project.js';
import { parseThreadKey } from '../../../server/src/conversations/thread-target.js';
import { toEncryptionKey } from '../../../server/src/crypto/secret-box.js';
import { createSigner } from '../../../server/src/crypto/signed-claims.js';
import { findInstanceCodeLinks } from '../../../server/src/gitlab/code-permalink.js';
import { gitlabInstances, inInstance } from '../../../server/src/gitlab/instances.js';
import { createSubscription } from '../../../server/src/store/subscriptions.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../helpers/databases.js';
import { fixtureEvent } from '../../helpers/fixtures.js';

const instance = (name: string, url: string, oauthScopes: 'api' | 'read_api' = 'api'): GitLabInstanceConfig => ({
  name,
  url,
  oauthClientId: undefined,
  oauthClientSecret: undefined,
  webhookSecrets: [],
  webhookSigningKey: undefined,
  oauthScopes,
});
const DEFAULT = instance('default', 'https://gitlab.example.com');
const CORP = instance('corp', 'https://git.corp.example');
const instances = gitlabInstances([DEFAULT, CORP]);
const side = (config: GitLabInstanceConfig): AccountInstance => ({ name: config.name, url: config.url, connections: null, scopeSetting: config });
const deps = { connections: null, gitlabUrl: DEFAULT.url, scopeSetting: DEFAULT, instances, accountInstance: (name: string) => side(name === 'corp' ? CORP : DEFAULT) };

describe('which GitLab a command acts on', () => {
  it('the one a full URL is on; `--instance` with a path; else the default', () => {
    expect(commandInstance(deps, {}, [`${CORP.url}/acme/app/-/merge_requests/4`])).toMatchObject({ name: 'corp', url: CORP.url });
    expect(commandInstance(deps, { instance: 'corp' }, ['acme/app!4'])).toMatchObject({ name: 'corp' });
    expect(commandInstance(deps, { instance: 'git.corp.example' }, ['acme/app!4'])).toMatchObject({ name: 'corp' });
    expect(commandInstance(deps, {}, ['acme/app!4'])).toMatchObject({ name: 'default', url: DEFAULT.url });
    expect(commandInstance(deps, {}, [undefined])).toMatchObject({ name: 'default' });
  });

  it('refuses in words: an unknown name, a URL of an unknown GitLab, a URL on another instance than --instance, two GitLabs at once', () => {
    expect(commandInstance(deps, { instance: 'eu' }, ['acme/app'])).toBe('This bridge has no GitLab instance `eu`; it knows `gitlab.example.com`, `corp`.');
    expect(commandInstance(deps, {}, ['https://gitlab.evil.example/acme/app'])).toBe('`https://gitlab.evil.example/acme/app` is not on a GitLab this bridge knows (`gitlab.example.com`, `corp`).');
    expect(commandInstance(deps, { instance: 'default' }, [`${CORP.url}/acme/app`])).toBe(`\`${CORP.url}/acme/app\` is on corp, not on gitlab.example.com.`);
    expect(commandInstance(deps, {}, [`${CORP.url}/acme/app`, `${DEFAULT.url}/acme/app`])).toBe('Those links are on two GitLabs (corp and gitlab.example.com): one command acts on one.');
  });

  it('a bridge with one GitLab takes no --instance', () => {
    const single = { connections: null, gitlabUrl: DEFAULT.url, scopeSetting: DEFAULT };
    expect(commandInstance(single, {}, ['acme/app'])).toMatchObject({ name: 'default', url: DEFAULT.url });
    expect(commandInstance(single, { instance: 'corp' }, ['acme/app'])).toMatch(/connected to one GitLab only/);
  });
});

describe('buttons carry the instance of their object', () => {
  const signer = createSigner([toEncryptionKey(Buffer.alloc(32, 3))]);
  const claimsOf = (signed: string) => signer.verify<ButtonClaims>('button', signed, 1).ok;
  const opened = fixtureEvent('merge_request.open.json');

  it('an event of corp makes targets on corp; the default instance’s targets stay as they always were', () => {
    expect(buttonSpecsOf(inInstance(opened, 'corp'), null).thread!.target).toEqual({ kind: 'merge_request', project: opened.project!.id, iid: opened.target!.iid, instance: 'corp' });
    expect(buttonSpecsOf(opened, null).thread!.target).toEqual({ kind: 'merge_request', project: opened.project!.id, iid: opened.target!.iid });
    expect(onInstance({ kind: 'job', project: 1, id: 2, instance: 'corp' }, 'default')).toEqual({ kind: 'job', project: 1, id: 2 });
  });

  it('names objects of other instances apart (press keys, audit): project ids repeat across GitLabs', () => {
    expect(targetName({ kind: 'merge_request', project: 12, iid: 4 })).toBe('merge_request:12:4');
    expect(targetName({ kind: 'merge_request', project: 12, iid: 4, instance: 'corp' })).toBe('corp~merge_request:12:4');
  });

  it('signs the instance into each context, and draws none for an instance the admin made read-only', () => {
    const spec = (name?: string): ButtonSpec => ({
      target: { kind: 'issue', project: 5, iid: 6, ...(name ? { instance: name } : {}) },
      state: { kind: 'issue', state: 'opened' },
    });
    const sign = createButtonSigner(signer, 'http://bridge/mattermost/action', () => 1000, (name) => name !== 'readonly');
    const [attachment] = sign(spec('corp'), 'channel', 'channel1');
    const context = attachment!.actions[0]!.integration.context.claims;
    expect(claimsOf(context)).toBe(true);
    expect((signer.verify<ButtonClaims>('button', context, 1001) as { claims: ButtonClaims }).claims.target).toEqual({ kind: 'issue', project: 5, iid: 6, instance: 'corp' });
    expect(sign(spec('readonly'), 'channel', 'channel1')).toEqual([]);
    expect(sign(spec(), 'channel', 'channel1')).toHaveLength(1);
  });

  it('a press acts with the connections and URL of the target’s instance; an instance no longer configured, with none', () => {
    const corpSide = { name: 'corp', connections: null, gitlabUrl: CORP.url, scopeSetting: CORP };
    const base = { connections: null, gitlabUrl: DEFAULT.url, scopeSetting: DEFAULT, instanceSide: (name: string) => (name === 'corp' ? corpSide : name === 'default' ? { ...corpSide, name, gitlabUrl: DEFAULT.url, scopeSetting: DEFAULT } : undefined) };
    expect(depsOnInstance(base, { kind: 'issue', project: 1, iid: 1, instance: 'corp' })).toMatchObject({ gitlabUrl: CORP.url, scopeSetting: CORP });
    expect(depsOnInstance(base, { kind: 'issue', project: 1, iid: 1 })).toMatchObject({ gitlabUrl: DEFAULT.url });
    expect(depsOnInstance(base, { kind: 'issue', project: 1, iid: 1, instance: 'gone' })).toBeNull();
    // A bridge that knows one GitLab: only the default's targets.
    const single = { connections: null, gitlabUrl: DEFAULT.url, scopeSetting: DEFAULT };
    expect(depsOnInstance(single, { kind: 'issue', project: 1, iid: 1 })).toBe(single);
    expect(depsOnInstance(single, { kind: 'issue', project: 1, iid: 1, instance: 'corp' })).toBeNull();
  });
});

describe('code links of several GitLabs', () => {
  it('each link is on the GitLab whose root covers it, the longer root first; in the order written; other hosts left out', () => {
    const shared = [{ name: 'default', url: 'https://host.example' }, { name: 'corp', url: 'https://host.example/corp' }];
    const message = [
      'https://host.example/corp/team/app/-/blob/main/a.ts#L1',
      'https://elsewhere.example/team/app/-/blob/main/a.ts#L2',
      'https://host.example/team/app/-/blob/main/b.ts#L3',
    ].join(' and ');
    expect(findInstanceCodeLinks(message, shared).map((link) => [link.instance.name, link.project, link.startLine])).toEqual([
      ['corp', 'team/app', 1],
      ['default', 'team/app', 3],
    ]);
  });
});

describe('a thread’s project is confirmed against a subscription on its own instance', () => {
  let database: MigratedDatabase;
  beforeAll(async () => {
    database = await createMigratedDatabase();
  }, 60_000);
  afterAll(async () => {
    await database?.close();
  });

  it('a corp thread naming a project the default instance’s subscription follows (same path and id) is not confirmed', async () => {
    const followedByDefault = await createSubscription(database.pool, { channelId: 'c1', targetKind: 'project', targetPath: 'acme/app', targetId: 900, creatorId: 'u1' });
    const followedByCorp = await createSubscription(database.pool, { channelId: 'c1', instance: 'corp', targetKind: 'project', targetPath: 'acme/app', targetId: 900, creatorId: 'u1' });
    // Whichever GitLab is asked answers that project: only the instance can tell them apart.
    const gitlab = { get: async <T>() => ({ id: 900, path_with_namespace: 'acme/app' }) as T, post: async <T>() => null as T, put: async <T>() => null as T, delete: async () => undefined };
    const check = createThreadProjectCheck(database.pool);
    const key = 'corp~900:merge_request:7';
    expect(await check(gitlab, parseThreadKey(key)!, key, followedByDefault.id)).toBe(false);
    expect(await check(gitlab, parseThreadKey(key)!, key, followedByCorp.id)).toBe(true);
    expect(await check(gitlab, parseThreadKey('900:merge_request:7')!, '900:merge_request:7', followedByCorp.id)).toBe(false);
    expect(await check(gitlab, parseThreadKey('900:merge_request:7')!, '900:merge_request:7', followedByDefault.id)).toBe(true);
  });
});
