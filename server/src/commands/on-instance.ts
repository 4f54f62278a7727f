/**
 * What commands about a target need to know of the GitLab it is on: the configured instances, the
 * person's account on one of them, and how to name that instance in a hint. With one GitLab every
 * answer is what it was before there could be several.
 */
import type { GitLabCaller, GitLabConnections } from '../accounts/gitlab-connections.js';
import { DEFAULT_INSTANCE, gitlabInstances, type GitLabInstances } from '../gitlab/instances.js';
import type { AccountInstance } from './account.js';

export interface InstanceDeps {
  gitlabUrl: string;
  /** The default GitLab's connections. */
  connections: GitLabConnections | null;
  /** Every configured GitLab; absent, only the default one (gitlabUrl, connections). */
  instances?: GitLabInstances;
  accountInstance?(name: string): AccountInstance | undefined;
}

/** The configured GitLabs, or the default one alone where the deps name no others. */
export function instancesOf(deps: Pick<InstanceDeps, 'instances' | 'gitlabUrl'>): GitLabInstances {
  return (
    deps.instances ??
    gitlabInstances([{ name: DEFAULT_INSTANCE, url: deps.gitlabUrl, oauthClientId: undefined, oauthClientSecret: undefined, webhookSecrets: [], webhookSigningKey: undefined, oauthScopes: 'api' }])
  );
}

/**
 * The person's GitLab identity on one instance, or null: private targets there are looked up, and
 * access checked, as them — never with their account on another GitLab.
 */
export async function callerOn(deps: Pick<InstanceDeps, 'connections' | 'accountInstance'>, instance: string, userId: string): Promise<GitLabCaller | null> {
  const connections = deps.accountInstance ? (deps.accountInstance(instance)?.connections ?? null) : instance === DEFAULT_INSTANCE ? deps.connections : null;
  return connections ? connections.callerFor(userId) : null;
}

/** `/gitlab connect`, naming the instance when it is not the default. */
export const connectHint = (trigger: string, instance: string): string => `\`/${trigger} connect${instance === DEFAULT_INSTANCE ? '' : ` ${instance}`}\``;

/** ` --instance corp` for a command about a target on another instance; nothing for the default. */
export const instanceOption = (instance: string | undefined): string => (instance && instance !== DEFAULT_INSTANCE ? ` --instance ${instance}` : '');
