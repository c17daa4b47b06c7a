-- Tasks: the to-dos a step gives colleagues (docs/reference/planning.md
-- "Tasks"). A task is opened once per (action, position of the task in its
-- step) when its action is recorded (or approved, for review steps);
-- `assignee` is '' when nobody could be found. States: open, then done (with
-- an outcome) or cancelled (every covered item paid).

CREATE TABLE tasks (
    id           INTEGER PRIMARY KEY,
    action       INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    account      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    assignee     TEXT NOT NULL,
    note         TEXT,
    items        TEXT NOT NULL,
    due_on       TEXT NOT NULL,
    state        TEXT NOT NULL,
    outcome      TEXT,
    outcome_note TEXT,
    promise_date TEXT,
    closed_at    TEXT,
    closed_by    TEXT,
    created_at   TEXT NOT NULL,
    origin       TEXT NOT NULL,
    UNIQUE (action, position)
);
CREATE INDEX tasks_by_assignee ON tasks (assignee, state, due_on);
CREATE INDEX tasks_by_account ON tasks (account, state);
