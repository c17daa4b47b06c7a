-- Payment history (docs/reference/data.md#payment-history): each time an
-- import lowers an item's remaining (`source` 'import', dated by the row's
-- `paid_on` or the import date) or a `--full` import clears an item it no
-- longer lists (`source` 'cleared', its whole remaining, dated the import
-- date). Amounts in minor units of `currency`. Append-only: nothing deletes
-- from it.

CREATE TABLE payments (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer    TEXT NOT NULL,
    reference   TEXT NOT NULL,
    paid_on     TEXT NOT NULL,
    amount      BIGINT NOT NULL CHECK (amount > 0),
    currency    TEXT NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('import', 'cleared')),
    import_id   BIGINT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX payments_by_date ON payments (paid_on);
CREATE INDEX payments_by_item ON payments (customer, reference);
