-- Several GitLab instances (GITLAB_INSTANCES). Everything stored before belongs to the instance the
-- GITLAB_* settings describe, named 'default'. Thread, object, event and notification keys need no
-- column: those of other instances carry the instance's name as a prefix (gitlab/instances.ts).

ALTER TABLE subscriptions ADD COLUMN instance text NOT NULL DEFAULT 'default';
ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_channel_id_target_kind_target_path_key;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_channel_target UNIQUE (channel_id, instance, target_kind, target_path);

-- One account per Mattermost user and instance; a GitLab account is someone's on its own instance only.
ALTER TABLE gitlab_accounts ADD COLUMN instance text NOT NULL DEFAULT 'default';
ALTER TABLE gitlab_accounts DROP CONSTRAINT gitlab_accounts_pkey;
ALTER TABLE gitlab_accounts ADD PRIMARY KEY (mattermost_user_id, instance);
DROP INDEX gitlab_accounts_gitlab_user;
CREATE UNIQUE INDEX gitlab_accounts_gitlab_user ON gitlab_accounts (instance, gitlab_user_id) WHERE disconnected_at IS NULL;

ALTER TABLE oauth_states ADD COLUMN instance text NOT NULL DEFAULT 'default';
ALTER TABLE connect_links ADD COLUMN instance text NOT NULL DEFAULT 'default';

-- The door that took a delivery says which instance sent it (its path and that instance's secret);
-- the old column kept the X-Gitlab-Instance header, which any sender can set.
ALTER TABLE webhook_deliveries RENAME COLUMN instance TO instance_header;
ALTER TABLE webhook_deliveries ADD COLUMN instance text NOT NULL DEFAULT 'default';

ALTER TABLE gitlab_mutes ADD COLUMN instance text NOT NULL DEFAULT 'default';
ALTER TABLE gitlab_mutes DROP CONSTRAINT gitlab_mutes_pkey;
ALTER TABLE gitlab_mutes ADD PRIMARY KEY (mattermost_user_id, instance, gitlab_user_id);

ALTER TABLE project_features ADD COLUMN instance text NOT NULL DEFAULT 'default';
ALTER TABLE project_features DROP CONSTRAINT project_features_pkey;
ALTER TABLE project_features ADD PRIMARY KEY (instance, project_id);

ALTER TABLE gitlab_access_cache ADD COLUMN instance text NOT NULL DEFAULT 'default';
ALTER TABLE gitlab_access_cache DROP CONSTRAINT gitlab_access_cache_pkey;
ALTER TABLE gitlab_access_cache ADD PRIMARY KEY (instance, gitlab_user_id, probe);

ALTER TABLE work_snapshots ADD COLUMN instance text NOT NULL DEFAULT 'default';
ALTER TABLE work_snapshots DROP CONSTRAINT work_snapshots_pkey;
ALTER TABLE work_snapshots ADD PRIMARY KEY (mattermost_user_id, instance);

-- Each instance has its own pollers, request budget and rate-limit pause.
ALTER TABLE poll_jobs ADD COLUMN instance text NOT NULL DEFAULT 'default';
ALTER TABLE poll_jobs DROP CONSTRAINT poll_jobs_pkey;
ALTER TABLE poll_jobs ADD PRIMARY KEY (kind, instance, subject);

ALTER TABLE gitlab_request_budget ADD COLUMN instance text NOT NULL DEFAULT 'default';
ALTER TABLE gitlab_request_budget DROP CONSTRAINT gitlab_request_budget_pkey;
ALTER TABLE gitlab_request_budget ADD PRIMARY KEY (instance, second);

ALTER TABLE gitlab_rate_pause ADD COLUMN instance text NOT NULL DEFAULT 'default';
ALTER TABLE gitlab_rate_pause DROP CONSTRAINT gitlab_rate_pause_pkey;
ALTER TABLE gitlab_rate_pause DROP COLUMN id;
ALTER TABLE gitlab_rate_pause ADD PRIMARY KEY (instance);

-- Tokens are one instance's; "several refused at once" counts within the instance.
ALTER TABLE gitlab_caller_rate_pause ADD COLUMN instance text NOT NULL DEFAULT 'default';
