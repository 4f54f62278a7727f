/**
 * The GitLab instance a webapp request is about: the one it names (`instance`), or the default. Its
 * connections, client and settings come from that instance alone, so a person's account on one GitLab
 * never looks anything up on another.
 */
import { DEFAULT_INSTANCE } from '../gitlab/instances.js';
import type { WebappDeps, WebappInstance } from './deps.js';
import { ApiError } from './errors.js';

/** The default instance as the deps' own fields describe it. */
function defaultSide(deps: WebappDeps): WebappInstance {
  return { name: DEFAULT_INSTANCE, url: deps.gitlabUrl, connections: deps.connections, client: deps.gitlab, scopeSetting: deps.scopeSetting, webhookSecret: deps.webhookSecret };
}

/** Undefined for a name the bridge does not have (any more). */
export function findInstanceSide(deps: WebappDeps, name: string): WebappInstance | undefined {
  if (!deps.instances || !deps.instanceSide) return name === DEFAULT_INSTANCE ? defaultSide(deps) : undefined;
  const config = deps.instances.byName(name);
  return config && deps.instanceSide(config.name);
}

/** 400 `bad_request` for a name the bridge does not have. */
export function instanceSide(deps: WebappDeps, name: string | undefined): WebappInstance {
  const wanted = name ?? DEFAULT_INSTANCE;
  const side = findInstanceSide(deps, wanted);
  if (!side) throw new ApiError(400, 'bad_request', `\`instance\`: this bridge has no GitLab instance \`${wanted}\`.`);
  return side;
}

/** Every instance as the webapp names them: for the instance picker (shown only with several) and each subscription's label. */
export function instanceChoices(deps: WebappDeps): { name: string; label: string }[] {
  if (!deps.instances) return [{ name: DEFAULT_INSTANCE, label: new URL(deps.gitlabUrl).host }];
  return deps.instances.all.map((instance) => ({ name: instance.name, label: deps.instances!.label(instance.name) }));
}
