/** How many live GitLab connections hold which scopes, per instance: for `doctor` (doctor/check-scopes.ts). */
import type { Queryable } from './queryable.js';

export interface ConnectedScopes {
  instance: string;
  /** As GitLab granted them and the row keeps them: "api read_user". */
  scopes: string;
  count: number;
}

export async function countConnectedScopes(db: Queryable): Promise<ConnectedScopes[]> {
  const live = 'FROM gitlab_accounts WHERE access_token IS NOT NULL AND disconnected_at IS NULL';
  try {
    return (await db.query<ConnectedScopes>(`SELECT instance, scopes, count(*)::int AS count ${live} GROUP BY instance, scopes ORDER BY instance, scopes`)).rows;
  } catch (error) {
    // A database from before several instances (migration 0022 pending): every account is the default instance's.
    if ((error as { code?: string }).code !== '42703') throw error;
    return (await db.query<ConnectedScopes>(`SELECT 'default' AS instance, scopes, count(*)::int AS count ${live} GROUP BY scopes ORDER BY scopes`)).rows;
  }
}
