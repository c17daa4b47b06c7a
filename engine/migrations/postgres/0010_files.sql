-- Files attached to items, or to a whole account (`reference` = ''):
-- metadata here, the content in the file store under its SHA-256
-- (docs/reference/files.md). `visibility` is `internal` or `customer`;
-- `hidden` (0/1) takes a file out of lists and kills its links at once.

CREATE TABLE files (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer     TEXT NOT NULL,
    reference    TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    visibility   TEXT NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL,
    hidden       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX files_by_item ON files (customer, reference);
CREATE INDEX files_by_sha256 ON files (sha256);
