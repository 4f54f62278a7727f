-- Webhook payloads are stored as GitLab sent them and only ever read back whole,
-- so `json` (checked, kept as text) does the job of `jsonb` without converting
-- every payload on the way in and again on the way out. Out-of-line storage
-- without compression: pglz cost more CPU per delivery than everything else
-- PostgreSQL does for it, for payloads that are processed within seconds.
ALTER TABLE webhook_deliveries ALTER COLUMN payload TYPE json USING payload::json;
ALTER TABLE webhook_deliveries ALTER COLUMN payload SET STORAGE EXTERNAL;
