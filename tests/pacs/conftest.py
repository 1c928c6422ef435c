"""One real Orthanc for every PACS test of the session (started on loopback, stopped at the end)."""

from __future__ import annotations

import shutil

import pytest

from sodclient.pacs.nodes import DICOMWEB, RETRIEVE_GET, RETRIEVE_MOVE, PacsNode
from tests.pacs.orthanc import APP_AE, ORTHANC, PASSWORD, USER, start_orthanc


@pytest.fixture(scope="session")
def orthanc(tmp_path_factory):
    if not shutil.which(ORTHANC) and not shutil.os.path.exists(ORTHANC):
        pytest.fail("Orthanc is not installed: scripts/install-debian-packages installs the Debian package orthanc")
    server = start_orthanc(tmp_path_factory.mktemp("orthanc"))
    yield server
    server.stop()


@pytest.fixture
def dimse_node(orthanc) -> PacsNode:
    return PacsNode("Test PACS", ae_title=orthanc.aet, host="127.0.0.1", port=orthanc.dicom_port, calling_ae=APP_AE,
                    retrieve=RETRIEVE_GET, move_port=orthanc.scp_port, move_listen="127.0.0.1")


@pytest.fixture
def move_node(dimse_node) -> PacsNode:
    return dimse_node.with_changes(retrieve=RETRIEVE_MOVE)


@pytest.fixture
def web_node(orthanc) -> PacsNode:
    if not orthanc.has_dicomweb:
        pytest.fail("the DICOMweb plugin is missing: install the Debian package orthanc-dicomweb")
    return PacsNode("Test DICOMweb", kind=DICOMWEB, base_url=orthanc.dicomweb_url, username=USER, password=PASSWORD)
