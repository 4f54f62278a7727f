import express from 'express';
import type { WebappDeps } from './deps.js';

export function issueRoutes(_deps: WebappDeps): express.Router {
  return express.Router();
}
