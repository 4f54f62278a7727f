-- When a webhook about the subscription's project or group last arrived
-- (whatever its filters made of it): `subscriptions list` shows it, so a
-- channel can tell "quiet project" from "no webhook reaches us". Written at
-- most once a minute per subscription.
ALTER TABLE subscriptions ADD COLUMN last_event_at timestamptz;
