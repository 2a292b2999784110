"""Metrics: process KPIs computed from field records, business events and customer
assignments, written into the appraisals' `data` items.

- `definitions.py`: an organization's metric rules, the sources they read and their fields
- `compute.py`: values per appraisal for its cycle's period (a whole cycle, one person after
  a record or event changed, the sweep), freezing on close; the rows a metric reads
- `values.py`: binding a scheme's figures to metrics, HR overrides, the rows behind a value
- `shown.py` (words for computed figures), `drill.py` (the drill-down page's content)
- `events.py` (+ `event_imports.py`): business events other systems push; held people
- views: `views.py` (drill-down, override, recompute), `binding_views.py`, `event_views.py`;
  `commands.py`: `appraisal metrics refresh`
"""
