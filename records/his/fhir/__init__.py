"""FHIR R4: the resources the service writes (`resources`, pure, checked with fhir.resources) and the driver that
reads from and writes to the HIS's FHIR server (`driver`)."""
