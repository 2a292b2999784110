"""Field work: what field staff record as work happens (visits, check-ins, daily plans and
reports, expenses), the customers and sites they visit, photos, location consent, and the
manager's view of the team's day. Activity forms are built in the builder
(`builder/activity_*.py`); their format is `rules/activities.py`.

Services (take a Session, never commit):
- `access.py`: whose records a viewer may see and review (one rule for pages, API, photos)
- `records.py`: recording (idempotent by the phone's uuid), values, location, geofence,
  the closed-period lock; `review.py`: approve, return, correct
- `consent.py`: location consent per purpose (grant, refuse, withdraw; the history kept)
- `customers.py`, `customer_imports.py`: the customer/site master and its file import
- `photos.py`: checked photos in the storage (`appraisal/storage.py`)
- `today.py` (the phone's reads), `team.py` (the team's day), `reading.py` (values under
  their labels), `export.py` (CSV/XLSX of a period)
- `conditions_markup.py`: a form's conditions as attributes the phone evaluates offline

Pages: `phone_views.py` (Today, record form, history, customer picker, the installable
app's manifest and service worker), `sync.py` (the outbox's JSON way in), `record_views.py`,
`team_views.py`, `consent_views.py`, `customer_views.py`, `photo_views.py`; templates in
`templates/runtime/`. Scripts in `static/fieldwork/` (outbox, service worker, conditions,
photos, location).
"""
