-- Live updates for the webapp: each change is a row, announced with NOTIFY on
-- gitlab_bridge_live (payload: the row as JSON, or just its id when too long), so SSE streams on every replica hear of
-- it and a reconnecting client resumes after its Last-Event-ID. Rows are hints
-- ("refetch this"), not content, and are kept for a few minutes.
CREATE TABLE live_events (
  id bigserial PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('work', 'subscriptions', 'connection')),
  user_id text,
  channel_id text,
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX live_events_created_at ON live_events (created_at);
