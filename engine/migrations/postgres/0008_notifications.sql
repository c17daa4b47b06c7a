-- Internal notifications (docs/reference/planning.md "Notifications").
--
-- `notices`: what a colleague is told, once per (colleague, kind, subject):
-- kind task | review | alert_raised | alert_resolved | escalation | notify;
-- subject the stable key of what it is about (a task id, an action id,
-- alert|account|item|date...). `entry` is the JSON the templates show.
-- `message` is the internal message that carries it, set once (an alert
-- notified at once gets its message when recorded; the others join the
-- colleague's digest when it is claimed for sending).
--
-- `internal_messages`: the internal outbox, one row per (colleague, kind,
-- key): kind digest (key: the day) or immediate (key: the notice id).
-- Delivery claims and records them like the actions: state queued, sending,
-- sent or failed, attempts, next_attempt_at, the claim and the last reply.

CREATE TABLE notices (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    colleague   TEXT NOT NULL,
    account     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    level       TEXT,
    entry       TEXT NOT NULL,
    immediate   INTEGER NOT NULL DEFAULT 0,
    created_on  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    origin      TEXT NOT NULL,
    message     BIGINT,
    UNIQUE (colleague, kind, subject)
);
CREATE INDEX notices_waiting ON notices (colleague, message);

CREATE TABLE internal_messages (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    colleague       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    key             TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    origin          TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    claimed_at      TEXT,
    claimed_by      TEXT,
    last_reply      TEXT,
    message_id      TEXT,
    sent_at         TEXT,
    UNIQUE (colleague, kind, key)
);
CREATE INDEX internal_messages_due ON internal_messages (state, next_attempt_at);
