-- A Mattermost user's GitLab account, connected through OAuth. Both tokens are
-- sealed with AES-256-GCM (crypto/secret-box.ts; key_id names the key) and
-- bound to the user, so a copied ciphertext opens nowhere else.
CREATE TABLE gitlab_accounts (
  mattermost_user_id text PRIMARY KEY,
  gitlab_user_id     bigint NOT NULL,
  gitlab_username    text NOT NULL,
  key_id             text,
  access_token       bytea,
  refresh_token      bytea,
  expires_at         timestamptz,
  scopes             text NOT NULL DEFAULT '',
  connected_at       timestamptz NOT NULL DEFAULT now(),
  refreshed_at       timestamptz,
  -- Set when GitLab refused the grant (the user revoked the app): tokens are gone, the row explains why.
  disconnected_at    timestamptz,
  disconnect_reason  text
);
-- One GitLab account per Mattermost user and vice versa, among live connections.
CREATE UNIQUE INDEX gitlab_accounts_gitlab_user ON gitlab_accounts (gitlab_user_id) WHERE disconnected_at IS NULL;

-- A sign-in in progress: the OAuth `state` (hashed) and its PKCE verifier, single-use, 10 minutes.
CREATE TABLE oauth_states (
  state_hash         text PRIMARY KEY,
  mattermost_user_id text NOT NULL,
  key_id             text NOT NULL,
  code_verifier      bytea NOT NULL,
  expires_at         timestamptz NOT NULL
);

-- The link `/gitlab connect` gives a user: single-use, 10 minutes, bound to that user.
CREATE TABLE connect_links (
  link_hash          text PRIMARY KEY,
  mattermost_user_id text NOT NULL,
  expires_at         timestamptz NOT NULL
);
