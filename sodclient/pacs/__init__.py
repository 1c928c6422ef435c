"""Talking to PACS and reading DICOM media: DIMSE through pynetdicom, DICOMweb through httpx, DICOMDIR
through pydicom's FileSet.

A leaf like transport/ and notify/: it takes plain values (a `PacsNode`, folders, file lists) and never
imports the configuration, the audit trail, the library or the services, so it can be tested alone
against a real Orthanc. Nothing here logs patient data; pynetdicom's own logger is held at WARNING
because its debug output dumps datasets.
"""

import logging

logging.getLogger("pynetdicom").setLevel(logging.WARNING)
