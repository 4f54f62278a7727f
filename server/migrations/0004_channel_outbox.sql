-- Channel posts waiting for (or done with) delivery: one row per (event, channel).
-- A channel's rows are posted strictly in id order by whichever replica holds
-- the channel's advisory lock, so threads keep GitLab's order.
CREATE TABLE channel_outbox (
  id                 bigserial PRIMARY KEY,
  event_key          text NOT NULL,          -- the logical event (same from a project and a group hook)
  channel_id         text NOT NULL,
  subscription_id    bigint REFERENCES subscriptions (id) ON DELETE SET NULL,
  delivery_id        bigint REFERENCES webhook_deliveries (id) ON DELETE SET NULL,
  message            text NOT NULL,
  thread_key         text,                   -- the MR or issue this post threads under; null = no thread
  thread_status      text,                   -- the object's status line after this event, for the root
  confidential       boolean NOT NULL DEFAULT false,
  state              text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
  attempts           integer NOT NULL DEFAULT 0,
  next_attempt_at    timestamptz NOT NULL DEFAULT now(),
  -- Set (and committed) before each CreatePost; with no post_id it means the
  -- outcome of that call is unknown and must be reconciled before posting again.
  attempt_started_at timestamptz,
  post_id            text,
  last_error         text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  sent_at            timestamptz,
  UNIQUE (event_key, channel_id)
);
CREATE INDEX channel_outbox_pending ON channel_outbox (channel_id, id) WHERE state = 'pending';

-- The root post of each (channel, MR or issue) thread; edited in place as the object changes.
CREATE TABLE channel_threads (
  channel_id   text NOT NULL,
  thread_key   text NOT NULL,
  root_post_id text NOT NULL,
  root_message text NOT NULL,               -- the root as first posted, before any status line
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel_id, thread_key)
);

-- What the bridge knows of each MR or issue (state, approvals, last pipeline),
-- folded from its events in order, for the thread roots' status lines.
CREATE TABLE tracked_objects (
  object_key text PRIMARY KEY,
  state      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The last finished pipeline per (project, ref), to tell "fixed" from "success".
CREATE TABLE ref_pipelines (
  project_key text NOT NULL,
  ref         text NOT NULL,
  pipeline_id bigint NOT NULL,
  status      text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_key, ref)
);

-- Wake the workers of every replica as soon as there is something to do.
CREATE FUNCTION gitlab_bridge_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(TG_ARGV[0], '');
  RETURN NULL;
END $$;
CREATE TRIGGER webhook_deliveries_notify AFTER INSERT ON webhook_deliveries
  FOR EACH STATEMENT EXECUTE FUNCTION gitlab_bridge_notify('gitlab_bridge_inbox');
CREATE TRIGGER channel_outbox_notify AFTER INSERT ON channel_outbox
  FOR EACH STATEMENT EXECUTE FUNCTION gitlab_bridge_notify('gitlab_bridge_outbox');
