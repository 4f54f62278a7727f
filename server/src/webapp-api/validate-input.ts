/** Input checked against a zod schema; the first problem becomes a 400 naming the field. */
import type { z } from 'zod';
import { ApiError } from './errors.js';

export function validInput<T extends z.ZodType>(schema: T, value: unknown, what = 'body'): z.infer<T> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.join('.') : what;
  const message = issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `\`${key}\``).join(', ')}` : issue.message;
  throw new ApiError(400, 'bad_request', `\`${field}\`: ${message}.`);
}
