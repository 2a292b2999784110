"""Push business events from a CRM export (CSV) into appraisal, with a personal API token.

    python push_events.py --url http://127.0.0.1:5000 --token apr_… \
        --source crm --kind lead_created crm_leads.csv

The CSV (UTF-8, or UTF-8 with BOM as Excel saves it) has a header line with these columns;
the Chinese or the English heading is accepted:

    线索编号 / lead_id         the event's id in the CRM (sending it again changes nothing)
    负责人工号 / owner_number   the owner's employee number
    创建时间 / created_at       when it happened: 2026-03-31 23:30 (the organization's clock)
                               or with an offset, 2026-03-31T23:30:00+08:00
    金额 / amount               optional, e.g. 12800.00
    客户编码 / customer_code    optional, the customer's code

Rows go in batches of up to 1,000 (each batch all or nothing). Prints what happened; exits
1 when the server refuses a batch (with every problem, by CSV row), 2 on a usage error.
Standard library only, so it runs on any machine with Python 3.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import urllib.error
import urllib.request

BATCH = 1000
COLUMNS = {  # ours: (Chinese heading, English heading)
    "external_id": ("线索编号", "lead_id"),
    "person": ("负责人工号", "owner_number"),
    "occurred_at": ("创建时间", "created_at"),
    "amount": ("金额", "amount"),
    "customer": ("客户编码", "customer_code"),
}


def read_events(path: str, source: str, kind: str) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))

    def cell(row: dict, ours: str) -> str:
        for heading in COLUMNS[ours]:
            if row.get(heading) not in (None, ""):
                return row[heading].strip()
        return ""

    events = []
    for row in rows:
        attributes = {k: cell(row, k) for k in ("amount", "customer") if cell(row, k)}
        events.append(
            {
                "source": source,
                "kind": kind,
                "external_id": cell(row, "external_id"),
                "occurred_at": cell(row, "occurred_at"),
                "person": {"employee_number": cell(row, "person")},
                "attributes": attributes,
            }
        )
    return events


def post(url: str, token: str, events: list[dict]) -> dict:
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked in main()
        f"{url.rstrip('/')}/api/v1/events",
        data=json.dumps({"events": events}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return json.load(response)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Push CRM events to appraisal.")
    parser.add_argument("--url", required=True, help="e.g. http://127.0.0.1:5000")
    parser.add_argument("--token", required=True, help="a personal API token (apr_…)")
    parser.add_argument("--source", default="crm", help="the sending system's key")
    parser.add_argument("--kind", default="lead_created", help="the event kind")
    parser.add_argument("file", help="the CRM export (CSV)")
    args = parser.parse_args(argv)
    if not args.url.startswith(("http://", "https://")):
        parser.error("--url must start with http:// or https://")
    events = read_events(args.file, args.source, args.kind)
    totals = {"created": 0, "unchanged": 0, "held": 0}
    for start in range(0, len(events), BATCH):
        try:
            answer = post(args.url, args.token, events[start : start + BATCH])
        except urllib.error.HTTPError as error:
            body = json.load(error)
            print(f"refused ({error.code}): {body['error']['message']}", file=sys.stderr)
            for detail in body["error"]["details"]:
                where = detail["path"]
                if where.startswith("events["):  # events[3].x → CSV row 3 + start + 2
                    index = int(where[7 : where.index("]")])
                    where = f"row {start + index + 2}{where[where.index(']') + 1 :]}"
                print(f"  {where}: {detail['message']}", file=sys.stderr)
            return 1
        for key in totals:
            totals[key] += answer[key]
    print(
        f"{len(events)} events sent: {totals['created']} new ({totals['held']} waiting for "
        f"a person), {totals['unchanged']} unchanged"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
