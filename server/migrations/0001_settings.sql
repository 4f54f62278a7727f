-- Bridge-wide settings, one row per key. Holds, among others, the id of the
-- encryption key the stored tokens are sealed with (never the key itself).
CREATE TABLE settings (
  key        text PRIMARY KEY,
  value      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
