-- Retention (store/prune.ts): what each pruning step looks up by age, so that a
-- batch finds its oldest rows by index instead of scanning the table.

-- Processed deliveries older than WEBHOOK_DEDUPE_WINDOW.
CREATE INDEX webhook_deliveries_received_at ON webhook_deliveries (received_at);
-- Sent, failed and skipped rows older than DELIVERY_RETENTION. created_at never
-- changes, so these indexes cost nothing on the state updates of delivery.
CREATE INDEX channel_outbox_created_at ON channel_outbox (created_at);
CREATE INDEX direct_outbox_created_at ON direct_outbox (created_at);
-- MRs and issues closed (or untouched) long ago, and what hangs off them by thread key.
CREATE INDEX tracked_objects_updated_at ON tracked_objects (updated_at);
CREATE INDEX channel_threads_thread_key ON channel_threads (thread_key);
CREATE INDEX direct_threads_thread_key ON direct_threads (thread_key);
CREATE INDEX thread_participants_seen_at ON thread_participants (seen_at);
CREATE INDEX ref_pipelines_updated_at ON ref_pipelines (updated_at);
-- Expired access answers, and the oldest ones beyond the row cap.
CREATE INDEX gitlab_access_cache_checked_at ON gitlab_access_cache (checked_at);

-- A queued post outlives the delivery it came from (DELIVERY_RETENTION is longer
-- than the dedupe window): delivery_id stays as a plain record of where the post
-- came from. As a foreign key, every pruned delivery would look up (without an
-- index) and rewrite the posts it made.
ALTER TABLE channel_outbox DROP CONSTRAINT IF EXISTS channel_outbox_delivery_id_fkey;
