/**
 * Which GitLab a command that acts as the person (`issue`, `pipeline`, `mr`, `job`, `deployment`)
 * acts on: the instance `--instance` names, else the one a full URL among its targets is on, else the
 * default (gitlab/instances.ts chooseInstance). The person's token there, and that instance's URL and
 * read-only setting, come with it: a token of one GitLab is never sent to another. Pure.
 */
import { chooseInstance, DEFAULT_INSTANCE, type GitLabInstances } from '../gitlab/instances.js';
import type { AccountInstance } from './account.js';
import type { CommandCall } from './command-router.js';

/** What a command's deps give to find an instance (AccountDeps has the same). */
export interface InstanceChoiceDeps {
  /** The default instance's. */
  connections: AccountInstance['connections'];
  gitlabUrl: string;
  scopeSetting: AccountInstance['scopeSetting'];
  /** Every configured GitLab; absent, only the default one above. */
  instances?: GitLabInstances;
  accountInstance?(name: string): AccountInstance | undefined;
}

/** `--instance <name>` (a configured name, or the default's host), for every command that acts on GitLab. */
export const INSTANCE_OPTION = { instance: { type: 'string' } } as const;

/**
 * The instance for a command with these option values and targets (the words that may be URLs), or
 * its error in words. Two URLs of different GitLabs in one command are an error too.
 */
export function commandInstance(deps: InstanceChoiceDeps, values: Record<string, unknown>, targets: readonly (string | undefined)[]): AccountInstance | string {
  const named = typeof values.instance === 'string' ? values.instance : undefined;
  const urls = targets.filter((target): target is string => typeof target === 'string' && /^https?:\/\//i.test(target.trim()));
  const fallback: AccountInstance = { name: DEFAULT_INSTANCE, url: deps.gitlabUrl, connections: deps.connections, scopeSetting: deps.scopeSetting };
  if (!deps.instances || !deps.accountInstance) return named === undefined ? fallback : `This bridge is connected to one GitLab only (${deps.gitlabUrl}): leave \`--instance\` out.`;
  let chosen: string | null = null;
  for (const target of urls.length > 0 ? urls : [undefined]) {
    const choice = chooseInstance(deps.instances, { instance: named, target });
    if (!choice.ok) return `${choice.error}.`;
    if (chosen !== null && chosen !== choice.instance.name) return `Those links are on two GitLabs (${deps.instances.label(chosen)} and ${deps.instances.label(choice.instance.name)}): one command acts on one.`;
    chosen = choice.instance.name;
  }
  return deps.accountInstance(chosen!) ?? fallback;
}

/** ` on **corp**` once the bridge has several GitLabs, else nothing: one GitLab needs no name. */
export function onInstance(deps: Pick<InstanceChoiceDeps, 'instances'>, instance: Pick<AccountInstance, 'name'>): string {
  return deps.instances?.several ? ` on **${deps.instances.label(instance.name)}**` : '';
}

/** `/gitlab connect` with the instance's name when it is not the default. */
export function connectCommandFor(call: Pick<CommandCall, 'trigger'>, instance: Pick<AccountInstance, 'name'>): string {
  return `\`/${call.trigger} connect${instance.name === DEFAULT_INSTANCE ? '' : ` ${instance.name}`}\``;
}
