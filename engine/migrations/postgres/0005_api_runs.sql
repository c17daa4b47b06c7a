-- Runs requested through the admin API (POST /runs). The actions a run
-- records carry `run:<id>` as their origin, which is how GET /runs/{id}
-- counts them.
CREATE TABLE api_runs (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    requested_at TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    request      TEXT NOT NULL,
    state        TEXT NOT NULL,
    started_at   TEXT,
    finished_at  TEXT,
    error        TEXT
);

CREATE INDEX actions_by_origin ON actions (origin);
CREATE INDEX actions_by_state ON actions (state, id);
