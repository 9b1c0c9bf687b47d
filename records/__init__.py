"""Hospital records behind the kiosk: patients, schedules and slots, registration, bills, payments, lab reports, ratings.

`records.backend.RecordsBackend` is the interface (the embedded `Records`, on SQLite or PostgreSQL, or a hospital
information system adapter); `records.api.router` serves it under /api/v1/records inside the caller service. See docs/records.md.
"""
