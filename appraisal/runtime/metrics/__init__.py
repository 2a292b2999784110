"""Metrics: process KPIs computed from field records, business events and customer
assignments, written into the appraisals' `data` items.

- `definitions.py`: an organization's metric rules, the sources they read and their fields
- `compute.py`: computing values per appraisal for its cycle's period, the recompute after
  a record or event changes, the sweep, freezing on close, HR overrides
- `events.py` (+ `event_imports.py`): business events other systems push; held people
- views: one module per page group
"""
