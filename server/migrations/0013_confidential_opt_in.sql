-- Confidential issues and notes, and internal notes, reach a channel only while
-- someone GitLab lets read them vouches for it: the connected user (Reporter or
-- more on the project, or on the group) who turned `confidential` on. Their
-- access is checked again daily and when they disconnect; once it is gone,
-- `confidential` goes off and the reason is kept for the channel to read.
ALTER TABLE subscriptions
  ADD COLUMN confidential_by         text,         -- Mattermost user id; null = nobody vouches (no confidential delivery)
  ADD COLUMN confidential_checked_at timestamptz,  -- when GitLab last confirmed their access
  ADD COLUMN confidential_stopped_at timestamptz,  -- when the bridge last turned `confidential` off by itself
  ADD COLUMN confidential_stopped_reason text;

-- Subscriptions that opted in before this was recorded: their creator stands in
-- when still connected, and the re-check job (a new job per subscription runs at
-- once) confirms or stops it. Without a connected creator confidential_by stays
-- null: delivery already refuses their confidential content, and the job turns
-- `confidential` off and tells the channel.
UPDATE subscriptions s SET confidential_by = s.creator_id
 WHERE s.confidential
   AND EXISTS (SELECT 1 FROM gitlab_accounts a WHERE a.mattermost_user_id = s.creator_id AND a.disconnected_at IS NULL AND a.access_token IS NOT NULL);

-- Disconnecting stops every opt-in the user vouches for.
CREATE INDEX subscriptions_confidential_by ON subscriptions (confidential_by) WHERE confidential_by IS NOT NULL;
