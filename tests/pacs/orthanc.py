"""A real Orthanc (Debian package `orthanc`, plus `orthanc-dicomweb` when installed) for the PACS tests.

Started on loopback with its own configuration: free DICOM and HTTP ports, its own storage folder, HTTP
basic authentication, and the app's storage SCP registered as a modality (AE SODSEND) so C-MOVE has a
destination. Stopped by the fixture that started it. A pytest plugin (tests/conftest.py): one Orthanc per session serves
tests/pacs and the UI tests.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sodclient.pacs.nodes import DICOMWEB, RETRIEVE_GET, RETRIEVE_MOVE, PacsNode
from tests.servers import _wait_port, free_port

ORTHANC = shutil.which("Orthanc") or "/usr/sbin/Orthanc"
DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
USER, PASSWORD = "sodtest", "Orthanc-test-Passw0rd"
APP_AE = "SODSEND"


@dataclass
class OrthancServer:
    process: subprocess.Popen
    workdir: Path
    dicom_port: int
    http_port: int
    scp_port: int  # where Orthanc sends C-MOVE results (the app's storage SCP)
    aet: str = "ORTHANC"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def dicomweb_url(self) -> str:
        return f"{self.http_url}/dicom-web"

    @property
    def has_dicomweb(self) -> bool:
        return DICOMWEB_PLUGIN.exists()

    def rest(self) -> httpx.Client:
        return httpx.Client(base_url=self.http_url, auth=(USER, PASSWORD), timeout=30)

    def instance_bytes(self, sop_instance_uid: str) -> bytes:
        """An instance as Orthanc stored it, found by its SOP Instance UID through the REST API."""
        with self.rest() as c:
            found = c.post("/tools/lookup", content=sop_instance_uid).json()
            ids = [f["ID"] for f in found if f["Type"] == "Instance"]
            assert ids, f"Orthanc holds no instance {sop_instance_uid}"
            return c.get(f"/instances/{ids[0]}/file").content

    def upload(self, paths) -> None:
        with self.rest() as c:
            for p in paths:
                c.post("/instances", content=Path(p).read_bytes()).raise_for_status()

    def clear(self) -> None:
        with self.rest() as c:
            for pid in c.get("/patients").json():
                c.delete(f"/patients/{pid}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def start_orthanc(workdir: Path) -> OrthancServer:
    workdir.mkdir(parents=True, exist_ok=True)
    dicom_port, http_port, scp_port = free_port(), free_port(), free_port()
    app = {
        "AET": APP_AE,
        "Host": "127.0.0.1",
        "Port": scp_port,
        "AllowEcho": True,
        "AllowFind": True,
        "AllowGet": True,
        "AllowMove": True,
        "AllowStore": True,
    }
    config = {
        "Name": "SODTEST",
        "StorageDirectory": str(workdir / "storage"),
        "IndexDirectory": str(workdir / "storage"),
        "StorageCompression": False,
        "HttpServerEnabled": True,
        "HttpPort": http_port,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": True,
        "RegisteredUsers": {USER: PASSWORD},
        "DicomServerEnabled": True,
        "DicomAet": "ORTHANC",
        "DicomPort": dicom_port,
        "DicomCheckCalledAet": True,
        "DicomCheckModalityHost": True,
        "DicomModalities": {"sodsend": app},
        "DicomAlwaysAllowEcho": True,
        "DicomAlwaysAllowStore": True,
        "UnknownSopClassAccepted": False,
        "RleTransferSyntaxAccepted": False,  # so a send must convert (tests/pacs: the accepted syntax)
        "ConcurrentJobs": 1,
        "Plugins": [str(DICOMWEB_PLUGIN)] if DICOMWEB_PLUGIN.exists() else [],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": False, "Host": "127.0.0.1", "Ssl": False},
    }
    (workdir / "orthanc.json").write_text(json.dumps(config, indent=1))
    with open(workdir / "orthanc.log", "wb") as log:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [ORTHANC, str(workdir / "orthanc.json")], stdout=log, stderr=subprocess.STDOUT, cwd=workdir
        )
    server = OrthancServer(proc, workdir, dicom_port, http_port, scp_port)
    try:
        _wait_port(http_port, timeout=30)
        _wait_port(dicom_port, timeout=30)
        deadline = time.monotonic() + 30
        with server.rest() as c:
            while c.get("/system").status_code != 200:
                if time.monotonic() > deadline:
                    raise RuntimeError("Orthanc did not answer")
                time.sleep(0.1)
    except BaseException:
        server.stop()
        raise
    return server


# -- fixtures ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def orthanc(tmp_path_factory):
    if not Path(ORTHANC).exists():
        pytest.fail("Orthanc is not installed: scripts/install-debian-packages installs the Debian package orthanc")
    server = start_orthanc(tmp_path_factory.mktemp("orthanc"))
    yield server
    server.stop()


@pytest.fixture
def dimse_node(orthanc) -> PacsNode:
    return PacsNode(
        "Test PACS",
        ae_title=orthanc.aet,
        host="127.0.0.1",
        port=orthanc.dicom_port,
        calling_ae=APP_AE,
        retrieve=RETRIEVE_GET,
        move_port=orthanc.scp_port,
        move_listen="127.0.0.1",
    )


@pytest.fixture
def move_node(dimse_node) -> PacsNode:
    return dimse_node.with_changes(retrieve=RETRIEVE_MOVE)


@pytest.fixture
def web_node(orthanc) -> PacsNode:
    if not orthanc.has_dicomweb:
        pytest.fail("the DICOMweb plugin is missing: install the Debian package orthanc-dicomweb")
    return PacsNode("Test DICOMweb", kind=DICOMWEB, base_url=orthanc.dicomweb_url, username=USER, password=PASSWORD)
