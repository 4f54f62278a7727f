-- Replies and reactions carried to GitLab belong to the GitLab instance of their thread. Two
-- instances number their notes and award emoji independently, so the same note id on two of them is
-- two comments: the bridge's record of one must neither clash with nor stand for the other's.

-- Rows from before take the instance their thread key names (`corp~…`, as gitlab/instances.ts
-- unscopeKey reads it); an unscoped key is the default instance's.
ALTER TABLE chat_replies ADD COLUMN instance text NOT NULL DEFAULT 'default';
UPDATE chat_replies SET instance = substring(thread_key FROM '^([a-z][a-z0-9]*)~') WHERE thread_key ~ '^[a-z][a-z0-9]*~';
DROP INDEX chat_replies_note;
CREATE UNIQUE INDEX chat_replies_note ON chat_replies (instance, note_id) WHERE note_id IS NOT NULL;

ALTER TABLE chat_reactions ADD COLUMN instance text NOT NULL DEFAULT 'default';
UPDATE chat_reactions SET instance = substring(thread_key FROM '^([a-z][a-z0-9]*)~') WHERE thread_key ~ '^[a-z][a-z0-9]*~';
-- An Emoji Hook is matched to the award the bridge made by its id, on its own instance.
CREATE INDEX chat_reactions_award_id ON chat_reactions (instance, award_id) WHERE award_id IS NOT NULL;
