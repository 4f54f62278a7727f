-- Polling ten thousand users a minute.

-- Taking from the GitLab request budget (polling/request-budget.ts) in one round trip. Every request
-- of every replica goes through this single file under one advisory lock, so the lock must be held
-- for microseconds: one call instead of a transaction of seven statements, and without waiting for
-- the commit to reach the disk (a count lost in a crash only lets a few requests more through in
-- that minute; every pause stays as durable as before, as pauses are written elsewhere).
-- The lock is the one pauseCaller takes too: 0x67627062 with the instance's name.
-- Answers whether the requests were granted and, when not, until when to wait, and whether that
-- is the caller's own pause.
CREATE FUNCTION gitlab_request_budget_take(p_instance text, p_caller text, p_count integer, p_per_minute integer, p_at timestamptz, p_window_seconds integer)
RETURNS TABLE (granted boolean, wait_until timestamptz, caller_paused boolean)
LANGUAGE plpgsql AS $$
DECLARE
  v_second timestamptz := to_timestamp(floor(extract(epoch FROM p_at)));
  v_start timestamptz := to_timestamp(floor(extract(epoch FROM p_at)) - p_window_seconds + 1);
  v_until timestamptz;
  v_used integer;
BEGIN
  PERFORM pg_advisory_xact_lock(1734504546, hashtext(p_instance));
  PERFORM set_config('synchronous_commit', 'off', true);
  -- Each statement below sees what the previous holder of the lock committed (a fresh snapshot each).
  SELECT p.until INTO v_until FROM gitlab_rate_pause p WHERE p.instance = p_instance AND p.until > p_at;
  IF FOUND THEN
    RETURN QUERY SELECT false, v_until, false;
    RETURN;
  END IF;
  IF p_caller IS NOT NULL THEN
    SELECT p.until INTO v_until FROM gitlab_caller_rate_pause p WHERE p.caller = p_caller AND p.until > p_at;
    IF FOUND THEN
      RETURN QUERY SELECT false, v_until, true;
      RETURN;
    END IF;
  END IF;
  SELECT COALESCE(sum(b.used), 0) INTO v_used FROM gitlab_request_budget b WHERE b.instance = p_instance AND b.second >= v_start;
  IF v_used + p_count > p_per_minute THEN
    -- Free once the bucket that frees the last of the requests needed has left the window (oldest first).
    SELECT w.second + make_interval(secs => p_window_seconds) INTO v_until
      FROM (SELECT b.second, sum(b.used) OVER (ORDER BY b.second) AS freed FROM gitlab_request_budget b WHERE b.instance = p_instance AND b.second >= v_start) w
      WHERE w.freed >= v_used + p_count - p_per_minute
      ORDER BY w.second LIMIT 1;
    RETURN QUERY SELECT false, v_until, false;
    RETURN;
  END IF;
  INSERT INTO gitlab_request_budget (instance, second, used) VALUES (p_instance, v_second, p_count)
    ON CONFLICT (instance, second) DO UPDATE SET used = gitlab_request_budget.used + p_count;
  RETURN QUERY SELECT true, NULL::timestamptz, false;
END
$$;

-- A fingerprint of the saved work: a poll that finds the same work again writes nothing
-- (store/work-snapshots.ts). Null after a change made in place (a to-do marked done), so the next
-- poll writes what GitLab says. How fresh the work is comes from the user's poll job
-- (last_success_at) from now on, as an unchanged snapshot is no longer rewritten.
ALTER TABLE work_snapshots ADD COLUMN digest text;
