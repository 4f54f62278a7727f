-- The /gitlab command registered on each team by `gitlab-bridge setup`. Mattermost
-- sends the command's token with every invocation; only its SHA-256 is kept,
-- compared in constant time (the token is random, so a plain hash suffices).
CREATE TABLE slash_commands (
  team_id     text PRIMARY KEY,
  team_name   text NOT NULL,
  command_id  text NOT NULL UNIQUE,
  trigger     text NOT NULL,
  token_hash  text NOT NULL,
  url         text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Security-relevant changes: who did what to which object, and when.
CREATE TABLE audit_log (
  id        bigserial PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  actor     text NOT NULL,   -- a Mattermost user id, or 'setup' for the provisioning command
  action    text NOT NULL,   -- e.g. slash_command.created
  target    text NOT NULL,
  details   jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);
