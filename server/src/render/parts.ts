/** What each kind's renderer produces, and what render-post assembles per style. */

/**
 * - `headline`: one line saying who did what to which object (the `title` style is just this);
 * - `facts`: short lines a reader needs (branches, changes, failed jobs…), added by `compact`;
 * - `body`: longer blocks (description or comment excerpts, commit lists), added by `full` only.
 */
export interface PostParts {
  headline: string;
  facts: string[];
  body: string[];
}

export interface RenderContext {
  /** GitLab's address without trailing slash, to link people and groups whose payloads carry no URL. */
  gitlabUrl: string | null;
}

export function parts(headline: string, facts: Array<string | null | false | undefined> = [], body: Array<string | null | false | undefined> = []): PostParts {
  const keep = (line: string | null | false | undefined): line is string => typeof line === 'string' && line !== '';
  return { headline, facts: facts.filter(keep), body: body.filter(keep) };
}
