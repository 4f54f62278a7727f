-- What processing decided for each delivery, per subscription that could have
-- wanted it (explain/delivery-record.ts): `/gitlab subscriptions explain` and
-- the webapp's Subscriptions tab read it back. One row per delivery, written
-- with the rest of its batch in one statement. No foreign keys: the delivery
-- and the subscriptions are forgotten on their own schedules, and a foreign key
-- would make each of those deletes look here.
CREATE TABLE delivery_explanations (
  delivery_id  bigint PRIMARY KEY,           -- webhook_deliveries.id
  instance     text NOT NULL,
  path         text NOT NULL,                -- lower-case path of the event's project, else group
  received_at  timestamptz NOT NULL,
  source       text NOT NULL CHECK (source IN ('webhook', 'poll')),
  kind         text NOT NULL,
  action       text NOT NULL,
  event_key    text,                         -- channel_outbox.event_key of what was planned; null when nothing was
  summary      text,                         -- GitLab content: shown only where the event may be seen
  url          text,
  open_to_all  boolean NOT NULL,
  confidential boolean NOT NULL,
  -- [{"s": subscription id, "c": channel id, "r": rule code or null, "m": sentence}]
  verdicts     jsonb NOT NULL
);
-- A project's (path =) or a group's (path LIKE 'group/%') newest first; also the
-- "newest 20 per path" that retention keeps.
CREATE INDEX delivery_explanations_path ON delivery_explanations (instance, path text_pattern_ops, delivery_id DESC);
-- Retention (store/prune.ts): the oldest first.
CREATE INDEX delivery_explanations_received_at ON delivery_explanations (received_at);
