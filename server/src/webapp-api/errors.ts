/** Every webapp API error is JSON `{error, code}`: `error` for people, `code` for the webapp's logic. */
import type { Response } from 'express';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function sendError(response: Response, status: number, code: string, message: string): void {
  response.status(status).json({ error: message, code });
}
