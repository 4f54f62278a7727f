/**
 * What the last events about a subscription's project or group became, for the
 * webapp's Subscriptions tab: the same report (explain/explain-report.ts) as
 * `/gitlab subscriptions explain`, as JSON.
 *
 * - `GET /channels/{channelId}/subscriptions/{id}/explain`: members of the
 *   channel, for one of its subscriptions; events the channel may not receive
 *   are shown without their summary and link.
 * - `GET /explain/project?path=&instance=`: system admins, across every channel;
 *   summaries only of events open to everyone.
 */
import express from 'express';
import { z } from 'zod';
import { instancesOf } from '../commands/on-instance.js';
import { resolveTarget } from '../commands/subscription-options.js';
import { explainAllowance } from '../explain/explain-allowance.js';
import { explainPath, explainSubscription, type ExplainDeps } from '../explain/read-explanation.js';
import { listChannelSubscriptions } from '../store/subscriptions.js';
import { isSystemAdmin, sessionOf } from './context.js';
import type { WebappDeps } from './deps.js';
import { ApiError } from './errors.js';
import { findInstanceSide, instanceSide } from './instance-side.js';
import { requireMemberChannel } from './member-channel.js';
import { validInput } from './validate-input.js';

const projectQuery = z.strictObject({ path: z.string().min(1).max(1000), instance: z.string().min(1).max(64).optional() });

export function explainRoutes(deps: WebappDeps): express.Router {
  const router = express.Router();
  const explainDeps = (): ExplainDeps => ({ pool: deps.pool, bot: deps.bot, siteUrl: deps.siteUrl, instances: instancesOf(deps), publicUrl: deps.publicUrl, trigger: 'gitlab' });
  /** The viewer's account on that GitLab: whether GitLab shows them its webhooks is theirs to learn. */
  const callerOn = async (userId: string, instance: string) => (await findInstanceSide(deps, instance)?.connections?.callerFor(userId)) ?? null;

  const allow = (userId: string): void => {
    const allowed = explainAllowance.take(userId);
    if (!allowed.granted) throw new ApiError(429, 'rate_limited', 'Too many explanations asked for at once; try again shortly.', allowed.retryAfterSeconds);
  };

  router.get('/channels/:channelId/subscriptions/:id/explain', async (request, response) => {
    allow(sessionOf(response).user.id);
    const channel = await requireMemberChannel(deps, request, response);
    const id = String(request.params.id);
    const found = /^\d{1,18}$/.test(id) ? (await listChannelSubscriptions(deps.pool, channel.id)).find((subscription) => subscription.id === id) : undefined;
    if (!found) throw new ApiError(404, 'not_found', 'This channel has no such subscription.');
    response.json(await explainSubscription(explainDeps(), found, await callerOn(sessionOf(response).user.id, found.instance)));
  });

  router.get('/explain/project', async (request, response) => {
    const { user } = sessionOf(response);
    if (!isSystemAdmin(user)) throw new ApiError(403, 'forbidden', 'Only system admins can see what reached every channel.');
    allow(user.id);
    const query = validInput(projectQuery, request.query, 'query');
    if (query.instance !== undefined) instanceSide(deps, query.instance);
    const target = resolveTarget(query.path, instancesOf(deps), query.instance);
    if (!target.ok) throw new ApiError(400, 'bad_request', `\`path\`: ${target.error}.`);
    const { report } = await explainPath(explainDeps(), target.path, target.instance.name, await callerOn(user.id, target.instance.name));
    response.json(report);
  });

  return router;
}
