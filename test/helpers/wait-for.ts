/** Polls until `condition` holds; fails the test with `what` when it does not within the time. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what = 'condition', timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Waits until the bridge has nothing left to do: every stored webhook processed, every channel post and
 * DM sent or given up, every reply and reaction carried to GitLab (or settled otherwise).
 */
export async function waitUntilSettled(db: { query<R extends object>(sql: string): Promise<{ rows: R[] }> }, timeoutMs = 20_000): Promise<void> {
  await waitFor(async () => {
    const { rows } = await db.query<{ busy: string }>(
      `SELECT (SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL) + (SELECT count(*) FROM channel_outbox WHERE state = 'pending')
            + (SELECT count(*) FROM direct_outbox WHERE state = 'pending')
            + (SELECT count(*) FROM chat_replies WHERE state = 'pending' OR change IS NOT NULL)
            + (SELECT count(*) FROM chat_reactions WHERE state IN ('pending', 'removing')) AS busy`,
    );
    return rows[0]!.busy === '0';
  }, 'everything delivered', timeoutMs);
}
