import express from 'express';
import type { WebappDeps } from './deps.js';

export function channelSubscriptionRoutes(_deps: WebappDeps): express.Router {
  return express.Router();
}
