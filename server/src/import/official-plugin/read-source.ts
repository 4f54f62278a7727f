/**
 * Where the official plugin's state comes from: Mattermost's own PostgreSQL database
 * (MATTERMOST_DATABASE_URL, read in a read-only transaction), or a file holding the `subscriptions` value
 * an admin exported (docs/operations.md shows the psql and mysql commands; MySQL servers go that way).
 * Every failure is one BridgeError that says what to fix; nothing here writes anywhere.
 */
import { readFile, stat } from 'node:fs/promises';
import pg from 'pg';
import { BridgeError } from '../../errors.js';
import { OFFICIAL_GITLAB_PLUGIN_ID } from '../../mattermost/official-gitlab-plugin.js';
import { HASHED_SUBSCRIPTIONS_KEY, parseStoredSubscriptions, StoredFormatError, SUBSCRIPTIONS_KEY, TOKEN_KEY_SUFFIX, tokenOwner, type OfficialSubscription } from './stored-format.js';

export interface OfficialPluginState {
  subscriptions: OfficialSubscription[];
  /** Who the plugin held a GitLab token for; null when the source cannot say (an exported file). */
  connectedUsers: string[] | null;
  /** For the report: where it was read. */
  source: string;
}

/** Far more than any server's subscriptions; a file this big is something else. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 10_000;

export async function readFromFile(path: string): Promise<OfficialPluginState> {
  const unusable = (why: string) => new BridgeError('import_source_unusable', `--from-file ${path}: ${why}`, { hint: 'export the value of the plugin\'s "subscriptions" key as docs/operations.md shows' });
  let text: string;
  try {
    if ((await stat(path)).size > MAX_FILE_BYTES) throw unusable('the file is larger than 64 MB; it is not an export of the subscriptions');
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof BridgeError) throw error;
    throw unusable(`cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return { subscriptions: parse(text, unusable), connectedUsers: null, source: `the file ${path}` };
}

export async function readFromDatabase(url: string): Promise<OfficialPluginState> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: 'gitlab-bridge import' });
  // A connection dropped later must not crash the process: the query that needed it fails instead.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    // pg's messages name the host and the reason, never the password.
    throw new BridgeError('import_source_unusable', `cannot connect to Mattermost's database (MATTERMOST_DATABASE_URL): ${(error as Error).message}`, {
      hint: 'MATTERMOST_DATABASE_URL is the PostgreSQL URL Mattermost itself uses (SqlSettings.DataSource); for MySQL, export the value to a file and use --from-file',
    });
  }
  try {
    await client.query('BEGIN READ ONLY');
    // Token rows: only their keys, which name the user. Expired rows are gone for the plugin too.
    const { rows } = await client.query<{ pkey: string; pvalue: Buffer | null }>(
      `SELECT pkey, CASE WHEN pkey IN ($2, $3) THEN pvalue END AS pvalue
         FROM pluginkeyvaluestore
        WHERE pluginid = $1 AND (pkey IN ($2, $3) OR pkey LIKE $4)
          AND (expireat IS NULL OR expireat = 0 OR expireat > $5)`,
      [OFFICIAL_GITLAB_PLUGIN_ID, SUBSCRIPTIONS_KEY, HASHED_SUBSCRIPTIONS_KEY, `%${TOKEN_KEY_SUFFIX.replace(/_/g, '\\_')}`, Date.now()],
    );
    await client.query('ROLLBACK');
    const unusable = (why: string) => new BridgeError('import_source_unusable', `the plugin's "subscriptions" value in Mattermost's database: ${why}`);
    // The plain key wins: a server that rewrote it after 5.6 deleted the hashed one, but be sure.
    const stored = rows.find((row) => row.pkey === SUBSCRIPTIONS_KEY) ?? rows.find((row) => row.pkey === HASHED_SUBSCRIPTIONS_KEY);
    const subscriptions = stored?.pvalue ? parse(stored.pvalue.toString('utf8'), unusable) : [];
    const connectedUsers = [...new Set(rows.map((row) => tokenOwner(row.pkey)).filter((owner): owner is string => owner !== null))].sort();
    return { subscriptions, connectedUsers, source: "Mattermost's database" };
  } catch (error) {
    if (error instanceof BridgeError) throw error;
    if ((error as { code?: string }).code === '42P01') {
      throw new BridgeError('import_source_unusable', "Mattermost's database has no pluginkeyvaluestore table", {
        hint: "MATTERMOST_DATABASE_URL must be Mattermost's own database (SqlSettings.DataSource), not the bridge's",
      });
    }
    throw new BridgeError('import_source_unusable', `cannot read the plugin's data from Mattermost's database: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function parse(text: string, unusable: (why: string) => BridgeError): OfficialSubscription[] {
  try {
    return parseStoredSubscriptions(text);
  } catch (error) {
    if (error instanceof StoredFormatError) throw unusable(error.message);
    throw error;
  }
}
