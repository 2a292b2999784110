"""A closed cycle over a day, with appraisals of some of the field team (arranged as rows)."""

from __future__ import annotations

from datetime import timedelta

from appraisal.models import Appraisal, Cycle, Scheme, Template, TemplateVersion


def close_a_cycle_over(db, field, day, numbers, name="2026-03"):
    org = field["org"]
    template = Template(organization_id=org.id, key=f"t-{name}")
    db.add(template)
    db.flush()
    version = TemplateVersion(
        organization_id=org.id, template_id=template.id, version=1, definition={}
    )
    db.add(version)
    db.flush()
    scheme = Scheme(organization_id=org.id, name=f"s-{name}", template_version_id=version.id)
    db.add(scheme)
    db.flush()
    cycle = Cycle(
        organization_id=org.id,
        scheme_id=scheme.id,
        name=name,
        starts_on=day - timedelta(days=3),
        ends_on=day + timedelta(days=3),
        state="closed",
    )
    db.add(cycle)
    db.flush()
    for number in numbers:
        db.add(
            Appraisal(
                organization_id=org.id,
                cycle_id=cycle.id,
                employee_id=field["people"][number].id,
                template_version_id=version.id,
            )
        )
    db.commit()
    return cycle
