"""Push a month's figures into a cycle from another system, with a personal API token.

    APPRAISAL_URL=http://127.0.0.1:5000 APPRAISAL_TOKEN=apr_… \
        python push_figures.py CYCLE_ID figures.json

figures.json: [{"employee_number": "E010", "key": "output_qty", "value": 2150}, …]
Standard library only, so it runs on any machine with Python 3.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request


def push(base_url: str, token: str, cycle_id: int, figures: list[dict]) -> dict:
    if not base_url.startswith(("http://", "https://")):
        raise SystemExit("APPRAISAL_URL must start with http:// or https://")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        f"{base_url.rstrip('/')}/api/v1/cycles/{cycle_id}/figures",
        data=json.dumps({"figures": figures}).encode(),
        method="PUT",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.load(response)
    except urllib.error.HTTPError as error:
        body = json.load(error)
        problems = "; ".join(f"{d['path']}: {d['message']}" for d in body["error"]["details"])
        raise SystemExit(f"{error.code} {body['error']['message']} {problems}") from None


if __name__ == "__main__":
    cycle, path = int(sys.argv[1]), sys.argv[2]
    with open(path, encoding="utf-8") as file:
        rows = json.load(file)
    result = push(os.environ["APPRAISAL_URL"], os.environ["APPRAISAL_TOKEN"], cycle, rows)
    print(f"{result['received']} values sent, {result['changed']} changed")
