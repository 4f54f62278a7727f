/**
 * How many explanations each person may ask for: each one reads a target's recent deliveries and the
 * backlog from PostgreSQL, and may ask GitLab for hooks with the reader's token. A person reading and
 * refreshing never comes near it; a script asking in a loop does. One bucket per person per replica,
 * shared by the command and the webapp's routes.
 */
import { createReadAllowance, type ReadAllowance } from '../previews/read-allowance.js';

export const EXPLANATIONS_PER_MINUTE = 60;

export const explainAllowance: ReadAllowance = createReadAllowance({ perMinute: EXPLANATIONS_PER_MINUTE });
