/** Sets a bot's icon: a multipart upload, which @mattermost/client only offers for browsers' File objects. */
import { MattermostHttpError } from './client.js';

export async function uploadBotIcon(url: string, token: string, botUserId: string, icon: { bytes: Buffer; contentType: string }): Promise<void> {
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(icon.bytes)], { type: icon.contentType }), 'icon.svg');
  const response = await fetch(`${url.replace(/\/$/, '')}/api/v4/bots/${encodeURIComponent(botUserId)}/icon`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'X-Requested-With': 'XMLHttpRequest' },
    body: form,
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { id?: string; message?: string };
    throw new MattermostHttpError(response.status, body.id, body.message ?? `setting the bot icon failed with ${response.status}`, undefined);
  }
}
