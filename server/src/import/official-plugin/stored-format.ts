/**
 * How the official GitLab plugin keeps its state in Mattermost's plugin key-value store (the table
 * PluginKeyValueStore: PluginId, PKey, PValue, ExpireAt), read from its source
 * (mattermost/mattermost-plugin-gitlab; test/fixtures/official-plugin/PROVENANCE.md says which versions):
 *
 * - key `subscriptions` (SubscriptionsKey in server/subscriptions.go): the JSON of
 *   `Subscriptions{Repositories map[string][]*subscription.Subscription}`, keyed by
 *   fullPathFromNamespaceAndProject(namespace, project), "namespace/project", or "namespace/" for a
 *   whole group (its subgroups' projects included); each Subscription is {ChannelID, CreatorID,
 *   Features, Repository} (server/subscription/subscription.go), Features a comma list (map-features.ts).
 * - key `<Mattermost user id>_gitlabtoken` (GitlabTokenKey in server/plugin.go): a connected user's
 *   gitlab.UserInfo with an OAuth token sealed by the plugin's own EncryptionKey. Only the key is read
 *   here, to know who was connected: the token is neither usable by the bridge nor its business.
 *
 * Mattermost servers before 5.6 stored keys as base64(sha256(key)) (getKeyHash in app/plugin_key_value_store.go)
 * and still look them up that way; the subscriptions key is read under both names.
 */
import { createHash } from 'node:crypto';

export const SUBSCRIPTIONS_KEY = 'subscriptions';
export const TOKEN_KEY_SUFFIX = '_gitlabtoken';
/** The key as Mattermost servers before 5.6 stored it. */
export const HASHED_SUBSCRIPTIONS_KEY = createHash('sha256').update(SUBSCRIPTIONS_KEY).digest('base64');

/** One channel's subscription in the official plugin, as stored. */
export interface OfficialSubscription {
  /** The map key it was found under: the path as the plugin matched it. */
  key: string;
  channelId: string;
  creatorId: string;
  features: string;
}

/** The stored value is unusable; the message says where and why, for the admin. */
export class StoredFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoredFormatError';
  }
}

const MATTERMOST_ID = /^[a-z0-9]{26}$/;

/** The `subscriptions` value, parsed and checked: every entry whole, or an error naming the first bad one. */
export function parseStoredSubscriptions(text: string): OfficialSubscription[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StoredFormatError(`it is not JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('Repositories' in value)) {
    throw new StoredFormatError('it is not the plugin\'s subscriptions value: a JSON object with "Repositories" was expected');
  }
  const repositories = (value as { Repositories: unknown }).Repositories;
  // Go writes an empty map as null.
  if (repositories === null) return [];
  if (typeof repositories !== 'object' || Array.isArray(repositories)) throw new StoredFormatError('"Repositories" is not an object of paths');
  const found: OfficialSubscription[] = [];
  for (const [key, list] of Object.entries(repositories as Record<string, unknown>)) {
    if (list === null) continue;
    if (!Array.isArray(list)) throw new StoredFormatError(`"Repositories"."${key}" is not a list of subscriptions`);
    list.forEach((entry: unknown, index) => {
      const where = `"Repositories"."${key}"[${index}]`;
      if (typeof entry !== 'object' || entry === null) throw new StoredFormatError(`${where} is not a subscription`);
      const { ChannelID, CreatorID, Features } = entry as Record<string, unknown>;
      if (typeof ChannelID !== 'string' || !MATTERMOST_ID.test(ChannelID)) throw new StoredFormatError(`${where} has no valid ChannelID`);
      if (typeof CreatorID !== 'string') throw new StoredFormatError(`${where} has no CreatorID`);
      if (typeof Features !== 'string') throw new StoredFormatError(`${where} has no Features`);
      found.push({ key, channelId: ChannelID, creatorId: CreatorID, features: Features });
    });
  }
  return found;
}

/** The Mattermost user a token row belongs to, from its key; null for any other key. */
export function tokenOwner(key: string): string | null {
  if (!key.endsWith(TOKEN_KEY_SUFFIX)) return null;
  const userId = key.slice(0, -TOKEN_KEY_SUFFIX.length);
  return MATTERMOST_ID.test(userId) ? userId : null;
}
