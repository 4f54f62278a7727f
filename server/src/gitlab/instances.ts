/**
 * The GitLab instances a bridge knows (config.gitlabInstances), by name and by URL. Pure.
 *
 * Keys of GitLab objects (threads, tracked MRs and issues, logical events, DM notification keys)
 * are text built from project ids, which two instances both number from 1. Those of the default
 * instance stay as they always were, so a database from before several instances keeps every
 * thread; another instance's carry its name in front: `corp~123:merge_request:4`.
 */
import { DEFAULT_INSTANCE, type GitLabInstanceConfig } from '../config.js';
import type { GitLabEvent } from './events/event.js';

export { DEFAULT_INSTANCE };

const SEPARATOR = '~';

export function scopedKey(instance: string, key: string): string {
  return instance === DEFAULT_INSTANCE ? key : `${instance}${SEPARATOR}${key}`;
}

/** The instance a scoped key belongs to and the key without it. */
export function unscopeKey(key: string): { instance: string; key: string } {
  const at = key.indexOf(SEPARATOR);
  // Instance names are letters and digits (config.ts), so a `~` after anything else is not ours.
  if (at > 0 && /^[a-z][a-z0-9]*$/.test(key.slice(0, at))) return { instance: key.slice(0, at), key: key.slice(at + 1) };
  return { instance: DEFAULT_INSTANCE, key };
}

/** An event as parsed, placed on the instance that sent it: its logical key then cannot meet another instance's. */
export function inInstance(event: GitLabEvent, instance: string): GitLabEvent {
  return instance === DEFAULT_INSTANCE ? event : { ...event, instance, key: scopedKey(instance, event.key) };
}

/** A project's part of object keys: its id (or path, when a payload lacks the id), scoped by instance. */
export function projectKeyOf(event: Pick<GitLabEvent, 'instance' | 'project'>): string {
  return scopedKey(event.instance, String(event.project?.id ?? event.project?.path.toLowerCase() ?? 'unknown'));
}

export interface GitLabInstances {
  readonly all: readonly GitLabInstanceConfig[];
  readonly default: GitLabInstanceConfig;
  /** More than one instance: names are then shown wherever a path alone would be ambiguous. */
  readonly several: boolean;
  byName(name: string): GitLabInstanceConfig | undefined;
  /** The instance a web or API URL belongs to (same host and, under a relative root, path prefix). */
  byUrl(url: string): GitLabInstanceConfig | undefined;
  /** What people call it: the default by its host, the others by their name. */
  label(name: string): string;
}

export function gitlabInstances(all: readonly GitLabInstanceConfig[]): GitLabInstances {
  const first = all[0];
  if (!first || first.name !== DEFAULT_INSTANCE) throw new Error('the default GitLab instance comes first');
  const byName = (name: string) => {
    const wanted = name.trim().toLowerCase();
    return all.find((instance) => instance.name === wanted || new URL(instance.url).host.toLowerCase() === wanted);
  };
  return {
    all,
    default: first,
    several: all.length > 1,
    byName,
    byUrl(url) {
      let parsed: URL;
      try {
        parsed = new URL(url.trim());
      } catch {
        return undefined;
      }
      // The longest matching root wins, for two GitLabs under one host (https://host/a, https://host/b).
      return [...all]
        .filter((instance) => covers(new URL(instance.url), parsed))
        .sort((a, b) => new URL(b.url).pathname.length - new URL(a.url).pathname.length)[0];
    },
    label(name) {
      const instance = byName(name);
      if (!instance) return name;
      return instance.name === DEFAULT_INSTANCE ? new URL(instance.url).host : instance.name;
    },
  };
}

function covers(base: URL, url: URL): boolean {
  if (base.host.toLowerCase() !== url.host.toLowerCase()) return false;
  const root = base.pathname.replace(/\/+$/, '').toLowerCase();
  const path = url.pathname.toLowerCase();
  return root === '' || path === root || path.startsWith(`${root}/`);
}

/**
 * Which instance a command means: `--instance` wins, else a URL's host, else the default. An unknown
 * name, or a URL of a GitLab this bridge does not know, is an error in words.
 */
export function chooseInstance(
  instances: GitLabInstances,
  given: { instance?: string | undefined; target?: string | undefined },
): { ok: true; instance: GitLabInstanceConfig } | { ok: false; error: string } {
  if (given.instance !== undefined) {
    const named = instances.byName(given.instance);
    if (!named) return { ok: false, error: `This bridge has no GitLab instance \`${given.instance}\`; it knows ${knownNames(instances)}` };
    if (given.target && /^https?:\/\//i.test(given.target.trim())) {
      const fromUrl = instances.byUrl(given.target);
      if (fromUrl && fromUrl.name !== named.name) return { ok: false, error: `\`${given.target}\` is on ${instances.label(fromUrl.name)}, not on ${instances.label(named.name)}` };
    }
    return { ok: true, instance: named };
  }
  if (given.target && /^https?:\/\//i.test(given.target.trim())) {
    const fromUrl = instances.byUrl(given.target);
    if (!fromUrl) return { ok: false, error: `\`${given.target}\` is not on a GitLab this bridge knows (${knownNames(instances)})` };
    return { ok: true, instance: fromUrl };
  }
  return { ok: true, instance: instances.default };
}

export function knownNames(instances: GitLabInstances): string {
  return instances.all.map((instance) => `\`${instance.name === DEFAULT_INSTANCE ? instances.label(instance.name) : instance.name}\``).join(', ');
}
