-- A private channel made public stops getting what not everyone may read within
-- seconds: each queued post says whether it needs a channel that is not public,
-- and delivery asks Mattermost for the channel's type (at most seconds old)
-- before posting such a post (deliver-channel-posts.ts).

-- A system admin put a private or internal project into a public channel on
-- purpose (`--force`): its posts are meant for a public channel and keep going.
ALTER TABLE subscriptions ADD COLUMN forced boolean NOT NULL DEFAULT false;
-- Forced before this was recorded: the audit log says so. One whose audit entry
-- was pruned counts as not forced (the safe side): in a public channel its
-- private posts stop, with the reason on the subscription, until a system admin
-- adds it again with `--force`.
UPDATE subscriptions s SET forced = true
 WHERE EXISTS (SELECT 1 FROM audit_log a WHERE a.action = 'subscription.created_forced' AND a.target = 'subscription:' || s.id);

-- Confidential content, events of private and internal projects, and of features
-- a public project keeps to members; false for a forced subscription's ordinary
-- posts and for the bridge's own notices.
ALTER TABLE channel_outbox ADD COLUMN needs_private_channel boolean NOT NULL DEFAULT false;
-- Posts still waiting: whether their event was open to all was not kept. One whose
-- subscription may carry members-only content (or is gone) needs a private channel.
UPDATE channel_outbox o SET needs_private_channel = true
 WHERE o.state = 'pending' AND o.delivery_id IS NOT NULL
   AND (o.confidential OR o.subscription_id IS NULL
        OR EXISTS (SELECT 1 FROM subscriptions s WHERE s.id = o.subscription_id AND s.private_access AND NOT s.forced));
