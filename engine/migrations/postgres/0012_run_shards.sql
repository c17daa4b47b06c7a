-- Sharded daily runs. A worker's daily run of a timezone is a run like the
-- API's (its actions carry `run:<id>`), found again by `daily_key`
-- (`<timezone>/<day>`) so that several workers pushing the same cron tick
-- make one run. Its accounts are split into shards, ranges of account codes
-- in byte order (`after` exclusive, `upto` inclusive, NULL: unbounded) sized
-- by open items; any worker runs a shard, and the run is done when every
-- shard is.
ALTER TABLE api_runs ADD COLUMN daily_key TEXT;
CREATE UNIQUE INDEX api_runs_daily ON api_runs (daily_key);

CREATE TABLE run_shards (
    run         BIGINT NOT NULL REFERENCES api_runs (id),
    shard       BIGINT NOT NULL,
    after       TEXT,
    upto        TEXT,
    accounts    BIGINT NOT NULL,
    items       BIGINT NOT NULL,
    state       TEXT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    worker      TEXT,
    started_at  TEXT,
    finished_at TEXT,
    recorded    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (run, shard)
);
