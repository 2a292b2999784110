"""A cycle's files (payroll results, written feedback, the figures sheet): sent at once for
a cycle of up to LARGE_EXPORT_APPRAISALS appraisals; for a larger one, a page that offers to
prepare the file in the background (a POST: a job is not started by following a link) and
then the job's page, which offers the download."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ... import tables
from ...access import current_org_id, current_roles, reach_of
from ...db import get_session
from ...jobs.queue import submit
from ...models import Cycle
from .background import CYCLE_TABLES, EXPORT_CYCLE, appraisal_count, is_large_export


def cycle_file(cycle: Cycle, name: str, fmt: str) -> Response | tuple[str, int]:
    db = get_session()
    table = CYCLE_TABLES[name]
    where = reach_of("read_results")
    counted = table.rows_in(where)
    if not is_large_export(db, cycle, counted):
        header, rows = table.build(db, cycle, current_roles(), where)
        return tables.download(fmt, header, rows, table.name, table.filename(cycle))
    if request.method == "POST":
        params = {"cycle_id": cycle.id, "table": name, "fmt": fmt}
        job = submit(db, EXPORT_CYCLE, current_org_id(), current_user.id, params)
        return redirect(url_for("jobs.job_page", id=job.id))
    return render_template(
        "runtime/cycle_file.html", cycle=cycle, count=appraisal_count(db, cycle, counted), fmt=fmt
    ), 200
