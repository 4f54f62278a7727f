/** `gitlab-bridge rotate-key`: see COMMANDS in commands.ts; the work is in store/rotate-tokens.ts. */
import { loadConfig } from '../config.js';
import { KEY_ID_SETTING } from '../crypto/encryption-key.js';
import { toEncryptionKey } from '../crypto/secret-box.js';
import { BridgeError } from '../errors.js';
import { createLogger } from '../log.js';
import { createMattermostClient } from '../mattermost/client.js';
import { createDirectMessenger } from '../mattermost/direct-message.js';
import { audit } from '../store/audit-log.js';
import { openDatabase } from '../store/database.js';
import { recordDirectMessage } from '../store/direct-message-log.js';
import { migrate } from '../store/migrate.js';
import { rotateTokens } from '../store/rotate-tokens.js';
import { readSetting } from '../store/settings.js';
import type { Invocation } from './main.js';

const TOLD =
  'Your GitLab connection had to be reset: the bridge changed the key that protects stored tokens, and yours could not be moved to it. Run `/gitlab connect` to connect again.';

export async function runRotateKey({ io }: Invocation): Promise<number> {
  const config = loadConfig();
  if (!config.encryptionKey) {
    throw new BridgeError('config_invalid', 'rotate-key needs ENCRYPTION_KEY set to the new key', {
      hint: 'and ENCRYPTION_KEY_PREVIOUS to the key in use until now (for a generated key, the contents of DATA_DIR/encryption.key)',
    });
  }
  const key = toEncryptionKey(config.encryptionKey);
  const keys = [key, ...config.previousEncryptionKeys.map(toEncryptionKey)];
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const database = await openDatabase(config, log, { shareRunning: true });
  try {
    await migrate(database.pool, log);
    const recorded = await readSetting<string>(database.pool, KEY_ID_SETTING);
    // Without the key in use so far every user would lose their connection: that is a mistake, not a rotation.
    if (recorded && !keys.some((candidate) => candidate.id === recorded)) {
      throw new BridgeError('encryption_key_mismatch', `the tokens are sealed with the key with id ${recorded}, which neither ENCRYPTION_KEY nor ENCRYPTION_KEY_PREVIOUS holds`, {
        hint: 'set ENCRYPTION_KEY_PREVIOUS to that key',
      });
    }
    const result = await rotateTokens(database.pool, { key, keys });
    await audit(database.pool, { actor: 'rotate-key', action: 'encryption_key.rotated', target: `key:${key.id}`, details: { from: recorded ?? null, resealed: result.resealed, lost: result.lost.length } });
    io.out(`Re-sealed the tokens of ${result.resealed} account(s) under the key with id ${key.id}${recorded && recorded !== key.id ? ` (was ${recorded})` : ''}.`);
    if (result.lost.length > 0) io.out(await tellLost(result.lost, config, database.pool));
    io.out('Every replica can now run with ENCRYPTION_KEY alone: remove ENCRYPTION_KEY_PREVIOUS.');
    return 0;
  } finally {
    await database.close();
  }
}

async function tellLost(users: string[], config: ReturnType<typeof loadConfig>, pool: Parameters<typeof recordDirectMessage>[0]): Promise<string> {
  const { url, botToken } = config.mattermost;
  const head = `${users.length} account(s) had tokens no configured key opens; they are disconnected`;
  if (!url || !botToken) return `${head}. Without MATTERMOST_URL and MATTERMOST_BOT_TOKEN they could not be told: ask them to run /gitlab connect.`;
  const send = createDirectMessenger(createMattermostClient(url, botToken), (userId, outcome) => recordDirectMessage(pool, userId, outcome));
  const failed = (await Promise.all(users.map((userId) => send(userId, TOLD).then(() => false, () => true)))).filter(Boolean).length;
  return failed === 0 ? `${head} and were told by direct message.` : `${head}; ${failed} of them could not be told by direct message (see /gitlab me).`;
}
