/**
 * Coded errors. Each code maps, in one place, to a process exit status and an
 * operator hint, so callers throw what went wrong and never decide how to show it.
 */
export type ErrorCode =
  | 'usage'
  | 'config_invalid'
  | 'data_dir_unusable'
  | 'database_unavailable'
  | 'database_too_new'
  | 'migration_changed'
  | 'embedded_postgres_failed'
  | 'embedded_postgres_in_use'
  | 'encryption_key_mismatch'
  | 'database_not_migrated'
  | 'database_not_empty'
  | 'backup_file_unusable'
  | 'backup_invalid'
  | 'backup_too_new'
  | 'restore_failed'
  | 'import_source_unusable';

export class BridgeError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BridgeError';
    this.code = code;
    this.hint = options.hint;
  }
}

/** Command-line mistakes exit 2, like most Unix tools; everything else exits 1. */
export function exitStatusFor(error: unknown): number {
  return error instanceof BridgeError && error.code === 'usage' ? 2 : 1;
}

/** One line for a person: the message, then the hint when there is one. */
export function describeError(error: unknown): string {
  if (error instanceof BridgeError) {
    return error.hint ? `${error.message} (${error.hint})` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
