-- GitLab's API rate limits are per user (authenticated requests) or per IP
-- (unauthenticated ones): a 429 on one user's token, or that token's
-- RateLimit-Remaining running out, pauses that token only, on every replica.
-- gitlab_rate_pause (0010) stays the pause for everyone, for signals about the
-- whole instance or the bridge's IP, and when several tokens are throttled at
-- once. Rows are swept once their pause is over and no longer counts.
CREATE TABLE gitlab_caller_rate_pause (
  caller       text PRIMARY KEY,        -- 'sha256:<hex>' of the token; never the token itself
  until        timestamptz NOT NULL,    -- a later, shorter pause never shortens a longer one (GREATEST)
  reason       text NOT NULL,
  throttled_at timestamptz NOT NULL     -- the last refusal: "several users at once" counts these
);
CREATE INDEX gitlab_caller_rate_pause_throttled_at ON gitlab_caller_rate_pause (throttled_at);
