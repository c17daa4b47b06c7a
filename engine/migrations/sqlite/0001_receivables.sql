-- The receivables data (DATA.md). Natural keys are primary keys; amounts are
-- integers in minor units of their currency (cents for EUR); dates are
-- ISO 8601 text (YYYY-MM-DD), instants are RFC 3339 UTC text.

CREATE TABLE customers (
    code         TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    language     TEXT,
    timezone     TEXT,
    scenario     TEXT,
    group_leader TEXT,
    credit_limit BIGINT,
    currency     TEXT,
    custom       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX customers_by_leader ON customers (group_leader) WHERE group_leader IS NOT NULL;

CREATE TABLE colleagues (
    email TEXT PRIMARY KEY,
    name  TEXT NOT NULL,
    role  TEXT NOT NULL,
    phone TEXT
);

CREATE TABLE contacts (
    customer TEXT NOT NULL,
    email    TEXT NOT NULL,
    name     TEXT,
    role     TEXT NOT NULL,
    language TEXT,
    phone    TEXT,
    PRIMARY KEY (customer, email)
);

CREATE TABLE assignments (
    customer  TEXT NOT NULL,
    colleague TEXT NOT NULL,
    role      TEXT NOT NULL,
    PRIMARY KEY (customer, role, colleague)
);

CREATE TABLE items (
    customer     TEXT NOT NULL,
    reference    TEXT NOT NULL,
    type         TEXT NOT NULL,
    issue_date   TEXT,
    due_date     TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    remaining    BIGINT NOT NULL,
    currency     TEXT NOT NULL,
    status       TEXT,
    status_since TEXT,
    promise_date TEXT,
    comment      TEXT,
    custom       TEXT NOT NULL DEFAULT '{}',
    cleared_on   TEXT,
    seen_import  BIGINT,
    PRIMARY KEY (customer, reference)
) WITHOUT ROWID;
CREATE INDEX items_open_by_customer ON items (customer, due_date) WHERE remaining > 0;

-- Append-only: every status change, import, action, delivery, alert and escalation.
CREATE TABLE history (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    kind      TEXT NOT NULL,
    customer  TEXT,
    reference TEXT,
    origin    TEXT NOT NULL,
    data      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX history_by_customer ON history (customer, at);

CREATE TABLE imports (
    id     INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    origin TEXT NOT NULL,
    counts TEXT NOT NULL
);
