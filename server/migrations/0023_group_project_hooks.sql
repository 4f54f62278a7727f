-- Groups on GitLab Free, which has no group webhooks: a webhook on each project of the group and
-- its subgroups where the person who asked is a Maintainer (or Owner), kept in step by a job
-- (poll_jobs kind 'group_hooks', hourly, sooner when a system hook says a project changed).
CREATE TABLE group_hook_sets (
  instance     text NOT NULL DEFAULT 'default',
  group_id     bigint NOT NULL,
  group_path   text NOT NULL,              -- lower-case full path: system hooks name projects by path
  requested_by text NOT NULL,              -- Mattermost user id; hooks are made with their GitLab token, so their role decides
  maintainable integer NOT NULL DEFAULT 0, -- projects they were Maintainer of at the last look: who keeps the set
  kinds        text[] NOT NULL,            -- the event kinds new hooks get (`--events`), the bridge's names
  lease_until  timestamptz,                -- a reconcile (the command's or the job's) is under way until then
  listed_at    timestamptz,                -- when GitLab's list of the group's projects was last read
  wanted_at    timestamptz,                -- when a delivery last said the group's projects changed
  last_error   text,                       -- why the last reconcile could not finish; null after one that did
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (instance, group_id)
);
CREATE INDEX group_hook_sets_path ON group_hook_sets (instance, group_path);

-- The group's projects as last seen (archived and removed ones are gone), and whether each has the hook.
CREATE TABLE group_hook_projects (
  instance     text NOT NULL DEFAULT 'default',
  group_id     bigint NOT NULL,
  project_id   bigint NOT NULL,
  project_path text NOT NULL,
  visibility   text NOT NULL,              -- public, internal, private: who may be told its name
  state        text NOT NULL CHECK (state IN ('hooked', 'needs_maintainer', 'failed')),
  hook_id      bigint,
  error        text,                       -- GitLab's refusal when `failed`
  verified_at  timestamptz,                -- when the requester's token last saw the hook (or made it)
  PRIMARY KEY (instance, group_id, project_id),
  FOREIGN KEY (instance, group_id) REFERENCES group_hook_sets (instance, group_id) ON DELETE CASCADE
);
-- A system hook names a project by id too (destroyed, archived, moved away).
CREATE INDEX group_hook_projects_project ON group_hook_projects (instance, project_id);
