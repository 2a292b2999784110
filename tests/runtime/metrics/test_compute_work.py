"""What recomputation spends its time on: a cycle recomputed with nothing changed rescores
nobody; a record rescores only its person."""

from __future__ import annotations

from appraisal.runtime.cycles.figures import stored_figures
from appraisal.runtime.metrics import compute, values

from ..conftest import appraisal_of


def test_a_recompute_with_nothing_changed_rescores_nobody(
    db, company, launched, visits, add_metric, record, monkeypatch
):
    add_metric("visits", source={"activity": "customer_visit"}, aggregation="count")
    values.bind_metrics(db, launched.scheme, {"sales": "visits"}, None)
    db.commit()
    record(customer=visits[0].id)
    ann = appraisal_of(db, company, "ann")
    calls = []
    real = compute.put_computed
    monkeypatch.setattr(compute, "put_computed", lambda a, f: calls.append(a.id) or real(a, f))
    assert compute.refresh_cycle(db, launched).changed == 0
    assert calls == []
    record(customer=visits[1].id)  # Ann's figure moves: only her appraisal is rescored
    assert calls == [ann.id]
    db.refresh(ann)
    assert stored_figures(ann)["sales"] == 2
