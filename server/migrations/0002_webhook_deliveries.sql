-- Every accepted GitLab webhook delivery, stored before GitLab gets its 2xx, so
-- nothing acknowledged is ever lost. dedupe_key makes a redelivery (GitLab
-- retries with the same Idempotency-Key) a no-op.
CREATE TABLE webhook_deliveries (
  id              bigserial PRIMARY KEY,
  dedupe_key      text NOT NULL UNIQUE,
  event           text NOT NULL,            -- the X-Gitlab-Event header
  idempotency_key text,
  event_uuid      text,                     -- X-Gitlab-Event-UUID
  webhook_uuid    text,                     -- X-Gitlab-Webhook-UUID: which hook sent it
  instance        text,                     -- X-Gitlab-Instance
  signed          boolean NOT NULL DEFAULT false,
  payload         jsonb NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT now(),
  processed_at    timestamptz,
  attempts        integer NOT NULL DEFAULT 0,
  last_error      text
);

-- The processing queue: deliveries not yet handled, oldest first.
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (id) WHERE processed_at IS NULL;
