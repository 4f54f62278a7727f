/** The Mattermost REST client (@mattermost/client), set up to act as the bot. */
import mattermostClient from '@mattermost/client';

// The package is CommonJS; its named exports are reached through the default import.
const { Client4 } = mattermostClient;
export type MattermostClient = InstanceType<typeof Client4>;

export function createMattermostClient(url: string, botToken: string): MattermostClient {
  const client = new Client4();
  client.setUrl(url);
  client.setToken(botToken);
  return client;
}
