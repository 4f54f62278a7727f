/** Whether the bridge can do its job now, for /readyz and the setup page. */
export interface Readiness {
  ready: boolean;
  /** Environment variables that must be set, by name. */
  missing: string[];
  /** Things that are set but do not work, one sentence each. */
  errors: string[];
}

export async function checkReadiness(missing: readonly string[], pingDatabase: () => Promise<void>): Promise<Readiness> {
  const errors: string[] = [];
  try {
    await withTimeout(pingDatabase(), 2000);
  } catch (error) {
    errors.push(`database: ${(error as Error).message}`);
  }
  return { ready: missing.length === 0 && errors.length === 0, missing: [...missing], errors };
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
