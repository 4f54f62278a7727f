-- Recurring GitLab polls (a user's work, a subscribed project's events or
-- pipelines): one row per (kind, subject). A replica claims due rows by setting
-- lease_until, so each subject is polled by exactly one replica per cycle; a
-- replica that dies mid-poll only holds its rows until the lease runs out.
CREATE TABLE poll_jobs (
  kind            text NOT NULL,             -- e.g. 'user_work', 'project_events'
  subject         text NOT NULL,             -- whose or what: a Mattermost user id, a project id
  next_run_at     timestamptz NOT NULL,
  lease_until     timestamptz,               -- claimed by a replica until then; null = free
  last_run_at     timestamptz,
  last_success_at timestamptz,               -- shown by `subscriptions list`: is polling keeping up?
  last_error      text,                      -- the last failure's message; cleared by a success
  failures        integer NOT NULL DEFAULT 0, -- in a row, for back-off
  state           jsonb NOT NULL DEFAULT '{}', -- the job's own watermarks (last event id, ETag, …)
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, subject)
);
-- "Due" claims look for one kind's oldest next_run_at.
CREATE INDEX poll_jobs_due ON poll_jobs (kind, next_run_at);

-- Requests made to GitLab, counted per second, so every replica together stays
-- under GITLAB_MAX_REQUESTS_PER_MINUTE over any sliding 60 seconds. Buckets
-- older than the window are deleted as replicas go.
CREATE TABLE gitlab_request_budget (
  second timestamptz PRIMARY KEY,
  used   integer NOT NULL CHECK (used >= 0)
);

-- "GitLab told us to wait until T" (a 429's Retry-After, or RateLimit-Remaining
-- running out): one row, so every replica pauses, not only the one that was
-- told. A table of its own rather than a `settings` key so a later, shorter
-- pause can never shorten a longer one (GREATEST on a real timestamp).
CREATE TABLE gitlab_rate_pause (
  id         boolean PRIMARY KEY DEFAULT true CHECK (id),
  until      timestamptz NOT NULL,
  reason     text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
