#!/usr/bin/env python3
"""Writes the items file of the `paid` store of docs/performance.md.

From the items.csv of `relance gen`, 40% of the open invoices without a
status are paid (70% of them in full, the others half), each with a
`paid_on` between its issue date and the generator's date; every other row
is kept as it is. Importing the result over a store of the generated files
records the payment history reports read.

    scripts/bench-paid-items.py GEN/items.csv 2026-11-20 > paid-items.csv
"""

import csv
import datetime
import decimal
import random
import sys


def main() -> None:
    source, day = sys.argv[1], datetime.date.fromisoformat(sys.argv[2])
    rng = random.Random(42)
    with open(source, newline="") as f:
        reader = csv.DictReader(f)
        fields = list(reader.fieldnames or [])
        if "paid_on" not in fields:
            fields.append("paid_on")
        out = csv.DictWriter(sys.stdout, fieldnames=fields, lineterminator="\n")
        out.writeheader()
        for row in reader:
            remaining = decimal.Decimal(row["remaining"] or "0")
            if (
                row["type"] == "invoice"
                and not row.get("status")
                and remaining > 0
                and rng.random() < 0.4
            ):
                issued = datetime.date.fromisoformat(row["issue_date"] or row["due_date"])
                span = max((day - issued).days, 0)
                row["paid_on"] = (issued + datetime.timedelta(days=rng.randint(0, span))).isoformat()
                if rng.random() < 0.7:
                    row["remaining"] = "0"
                else:
                    half = (remaining / 2).quantize(remaining, rounding=decimal.ROUND_DOWN)
                    row["remaining"] = str(half)
            out.writerow(row)


if __name__ == "__main__":
    main()
