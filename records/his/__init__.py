"""The hospital information system (HIS) seam: which records the kiosk, console, queue and phone work on.

`common.his_settings` is the ``[his]`` table of the hospital file; `records.his.link` starts the chosen driver inside
the service (``local``: nothing to start; ``hl7v2``: `records.his.hl7v2`; ``fhir``: `records.his.fhir`). What the HIS
does not offer (ratings, reminders, queue state) stays in the service's own records. See docs/his.md.
"""
