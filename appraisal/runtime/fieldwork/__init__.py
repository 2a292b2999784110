"""Field work: what field staff record as work happens (visits, check-ins, daily plans and
reports, expenses), the customers and sites they visit, photos, location consent, and the
manager's view of the team's day.

- `access.py`: whose records a viewer may see and review (one rule for pages, API, photos)
- `records.py`: recording (idempotent by the phone's uuid), values, location, geofence
- `consent.py`: location consent per purpose (grant, refuse, withdraw; the history kept)
"""
