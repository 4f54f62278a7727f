/** A feature flag turned on or off. */
import type { FeatureFlagDetails } from '../gitlab/events/details.js';
import type { GitLabEvent } from '../gitlab/events/event.js';
import { actorLink, link, projectLink } from './links.js';
import { parts, type PostParts, type RenderContext } from './parts.js';
import { code, excerpt, quote } from './text.js';

export function renderFeatureFlag(event: GitLabEvent, details: FeatureFlagDetails, context: RenderContext): PostParts {
  const state = event.action === 'activated' ? 'on' : 'off';
  const headline = `${actorLink(event.actor, context)} turned ${state} feature flag ${link(code(details.name), details.url)} in ${projectLink(event.project, context)}`;
  const description = excerpt(details.description, { maxChars: 300, maxLines: 4 });
  return parts(headline, [], [description && quote(description)]);
}
