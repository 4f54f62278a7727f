/**
 * POST /mattermost/command: Mattermost relays `/gitlab …` here as a form POST
 * with `Authorization: Token <the team's command token>`. The answer must come
 * within Mattermost's 3 s; slower work answers "working on it" at once and
 * sends its result to the command's `response_url` when done.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import express, { type Request, type Response } from 'express';
import type { CommandCall } from '../commands/command-router.js';
import type { Logger } from '../log.js';

export interface CommandEndpointDeps {
  verifyToken(teamId: string, token: string): Promise<boolean>;
  handle(call: CommandCall, text: string): Promise<string>;
  /** Origins Mattermost may send as `response_url` (MATTERMOST_URL and the site URL): nothing else is ever called. */
  mattermostOrigins: string[];
  log: Logger;
  /** How long to wait for an answer before replying "working on it" (below Mattermost's 3 s). */
  answerWithinMs?: number;
}

type Form = Partial<Record<'team_id' | 'channel_id' | 'user_id' | 'user_name' | 'command' | 'text' | 'response_url', string>>;

export function commandEndpoint(deps: CommandEndpointDeps): express.Router {
  const router = express.Router();
  const answerWithinMs = deps.answerWithinMs ?? 2500;

  router.post('/mattermost/command', express.urlencoded({ extended: false, limit: '64kb' }), async (request: Request, response: Response) => {
    const log = (request as { log?: Logger }).log ?? deps.log;
    const form = (request.body ?? {}) as Form;
    const token = /^Token\s+(\S+)$/i.exec(request.get('authorization') ?? '')?.[1];
    if (!form.team_id || !token || !(await deps.verifyToken(form.team_id, token))) {
      log.warn({ team: form.team_id }, 'slash command refused: unknown team or wrong token');
      response.status(401).json({ error: 'unknown team or wrong command token: run `gitlab-bridge setup` again', code: 'bad_command_token' });
      return;
    }
    const call: CommandCall = {
      userId: form.user_id ?? '',
      userName: form.user_name ?? '',
      teamId: form.team_id,
      channelId: form.channel_id ?? '',
      trigger: (form.command ?? '/gitlab').replace(/^\//, ''),
    };
    const failed = (error: unknown): string => {
      log.error({ err: error, user: call.userId }, 'slash command failed');
      return `Something went wrong on the bridge; its log has the details (request ${String(request.id ?? '')}).`;
    };
    const work = deps.handle(call, form.text ?? '').catch(failed);
    const answer = await Promise.race([work, sleep(answerWithinMs).then(() => null)]);
    if (answer !== null) {
      response.json({ response_type: 'ephemeral', text: answer });
      return;
    }
    response.json({ response_type: 'ephemeral', text: 'Working on it…' });
    const late = await work;
    await sendLate(form.response_url, late, deps.mattermostOrigins).catch((error: unknown) => log.warn({ err: error }, 'could not send a slow command’s answer'));
  });
  return router;
}

async function sendLate(responseUrl: string | undefined, text: string, origins: string[]): Promise<void> {
  if (!responseUrl) throw new Error('no response_url to answer through');
  if (!origins.includes(new URL(responseUrl).origin)) throw new Error(`response_url ${new URL(responseUrl).origin} is not this Mattermost`);
  const sent = await fetch(responseUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ response_type: 'ephemeral', text }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!sent.ok) throw new Error(`response_url answered ${sent.status}`);
}
