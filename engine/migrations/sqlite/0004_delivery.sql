-- Delivery bookkeeping on the outbox (the actions table): the worker claims
-- due actions (state `sending`), sends them and records the outcome. Times
-- are RFC 3339 UTC with milliseconds, so that they compare as text.

ALTER TABLE actions ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE actions ADD COLUMN next_attempt_at TEXT;
ALTER TABLE actions ADD COLUMN claimed_at TEXT;
ALTER TABLE actions ADD COLUMN claimed_by TEXT;
ALTER TABLE actions ADD COLUMN last_reply TEXT;
CREATE INDEX actions_due ON actions (state, next_attempt_at);
