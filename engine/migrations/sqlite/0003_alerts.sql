-- What runs remember besides actions (PLANNING.md "Alerts and escalations").

-- Alerts: one row per raise; resolved_on is set on the first run where the
-- condition no longer holds. At most one open row per (alert, account, item);
-- item is '' for account alerts.
CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY,
    alert       TEXT NOT NULL,
    account     TEXT NOT NULL,
    item        TEXT NOT NULL,
    level       TEXT NOT NULL,
    raised_on   TEXT NOT NULL,
    resolved_on TEXT,
    detail      TEXT NOT NULL DEFAULT '',
    origin      TEXT NOT NULL
);
CREATE UNIQUE INDEX alerts_open ON alerts (account, alert, item) WHERE resolved_on IS NULL;

-- Escalations that fired: open while their condition keeps holding, so each
-- fires once until it stops holding.
CREATE TABLE escalations (
    id         INTEGER PRIMARY KEY,
    escalation TEXT NOT NULL,
    account    TEXT NOT NULL,
    fired_on   TEXT NOT NULL,
    ended_on   TEXT,
    switch     TEXT,
    origin     TEXT NOT NULL
);
CREATE UNIQUE INDEX escalations_open ON escalations (account, escalation) WHERE ended_on IS NULL;

-- Scenario switches (escalation rules and escalate steps); the latest one in
-- effect on a date gives the account its scenario unless the customer names one.
CREATE TABLE switches (
    id           INTEGER PRIMARY KEY,
    account      TEXT NOT NULL,
    scenario     TEXT NOT NULL,
    effective_on TEXT NOT NULL,
    cause        TEXT NOT NULL,
    origin       TEXT NOT NULL
);
CREATE INDEX switches_by_account ON switches (account, effective_on);
