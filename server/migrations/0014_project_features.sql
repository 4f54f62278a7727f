-- What GitLab says each public project shows to everyone: its `*_access_level`
-- fields and `public_jobs` from GET /projects/:id (webhook payloads do not carry
-- them). Processing reads them, fresh, before deciding whether an event of a
-- public project is public; the lookup happens outside any transaction.
-- `levels` is null when the last lookup failed: the project's events are then
-- treated as members-only until a later lookup succeeds.
-- One row per project; rows not looked at for a day are pruned as new ones are written.
CREATE TABLE project_features (
  project_id bigint PRIMARY KEY,
  levels     jsonb,
  checked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX project_features_checked_at ON project_features (checked_at);
