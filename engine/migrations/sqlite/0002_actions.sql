-- Actions decided by runs, recorded once: the unique key is
-- (account, scenario, step, leader). `leader` and the covered items are
-- written `CUSTOMER/REFERENCE` (a leader may belong to a grouped member).

CREATE TABLE actions (
    id          INTEGER PRIMARY KEY,
    account     TEXT NOT NULL,
    scenario    TEXT NOT NULL,
    step        TEXT NOT NULL,
    leader      TEXT NOT NULL,
    run_date    TEXT NOT NULL,
    planned_for TEXT NOT NULL,
    state       TEXT NOT NULL,
    items       TEXT NOT NULL,
    payload     TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL,
    origin      TEXT NOT NULL,
    UNIQUE (account, scenario, step, leader)
);
CREATE INDEX actions_by_account ON actions (account, run_date);

-- The last step reached by each item, per scenario (PLANNING.md).
CREATE TABLE item_steps (
    customer  TEXT NOT NULL,
    reference TEXT NOT NULL,
    scenario  TEXT NOT NULL,
    step      TEXT NOT NULL,
    PRIMARY KEY (customer, reference, scenario)
);
