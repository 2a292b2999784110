"""The service worker keeps the field pages an employee opened, for offline use. It must
not keep downloads: an export of the team's (HR: everyone's) records, with positions, would
sit in the phone's Cache Storage, ignored by `no-store`, after the page is gone."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import appraisal

WORKER = Path(appraisal.__file__).parent / "static" / "fieldwork" / "sw.js"
HARNESS = r"""
const fs = require("fs");
const kept = [];
const listeners = {};
global.self = {
  location: { origin: "https://app.example" },
  addEventListener: (name, fn) => { listeners[name] = fn; },
  skipWaiting() {}, clients: { claim: async () => {} },
};
global.caches = {
  open: async () => ({ put: async (req) => { kept.push(new URL(req.url).pathname); } }),
  delete: async () => true, keys: async () => [], match: async () => undefined,
};
Object.defineProperty(Response.prototype, "type", { get: () => "basic" });  // same origin
const answers = JSON.parse(process.argv[3]);
global.fetch = async (req) => {
  const [type, disposition] = answers[new URL(req.url).pathname];
  const headers = { "Content-Type": type };
  if (disposition) headers["Content-Disposition"] = disposition;
  return new Response("x", { headers });
};
eval(fs.readFileSync(process.argv[2], "utf8"));
(async () => {
  for (const path of Object.keys(answers)) {
    const waits = [];
    const request = new Request("https://app.example" + path);
    let answered;
    const respondWith = (p) => { answered = p; };
    listeners.fetch({ request, respondWith, waitUntil: (p) => waits.push(p) });
    if (answered) { await answered; }
    await Promise.all(waits);
  }
  console.log(JSON.stringify(kept));
})();
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_the_worker_keeps_pages_but_never_a_download(tmp_path):
    answers = {
        "/field": ["text/html; charset=utf-8", None],
        "/field/history": ["text/html; charset=utf-8", None],
        "/field/records.csv": ["text/csv; charset=utf-8", 'attachment; filename="r.csv"'],
        "/field/records.xlsx": [
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            'attachment; filename="r.xlsx"',
        ],
        "/field/anything": ["text/html", 'attachment; filename="page.html"'],
        "/static/fieldwork/outbox.js": ["text/javascript", None],
    }
    harness = tmp_path / "harness.js"
    harness.write_text(HARNESS, encoding="utf-8")
    run = subprocess.run(
        ["node", str(harness), str(WORKER), json.dumps(answers)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(run.stdout) == ["/field", "/field/history", "/static/fieldwork/outbox.js"]
