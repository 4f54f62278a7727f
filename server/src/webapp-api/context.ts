/** What the session middleware learned about a request, kept on `response.locals`. */
import type { Response } from 'express';
import type { GitLabCaller } from '../accounts/gitlab-connections.js';
import { ApiError } from './errors.js';

export interface SessionUser {
  id: string;
  username: string;
  /** Mattermost roles, space separated ("system_user system_admin"). */
  roles: string;
}

export interface ApiLocals {
  user: SessionUser;
  /** The caller's Mattermost session token, for calls made as them (channel membership, reading a post). Never logged. */
  sessionToken: string;
}

export function sessionOf(response: Response): ApiLocals {
  const locals = response.locals as Partial<ApiLocals>;
  if (!locals.user || !locals.sessionToken) throw new Error('the session middleware did not run');
  return { user: locals.user, sessionToken: locals.sessionToken };
}

export function isSystemAdmin(user: SessionUser): boolean {
  return user.roles.split(' ').includes('system_admin');
}

/** The caller's GitLab identity, or 403 `not_connected`. */
export async function connectedCaller(callerFor: (userId: string) => Promise<GitLabCaller | null>, response: Response): Promise<GitLabCaller> {
  const caller = await callerFor(sessionOf(response).user.id);
  if (!caller) throw new ApiError(403, 'not_connected', 'Connect your GitLab account first.');
  return caller;
}
