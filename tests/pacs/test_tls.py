"""DICOM over TLS and DICOMweb over HTTPS against a real Orthanc with a certificate from a throwaway CA
(trustme): verified with the site's CA file, refused with a plain reason without it.

Orthanc terminates DICOM TLS itself. Its own HTTPS server (Debian's 1.10 build) drops every request after the
handshake, so HTTPS is terminated by a small TLS proxy in front of the session's Orthanc HTTP port: the client
side is real TLS, the DICOMweb answers are Orthanc's."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading

import pytest
import trustme

from sodclient.pacs.errors import PacsRefused
from sodclient.pacs.nodes import DICOMWEB, PacsNode
from sodclient.services import pacs
from tests.pacs.orthanc import ORTHANC, PASSWORD, USER
from tests.servers import _wait_port, free_port


class TlsProxy:
    """HTTPS on a loopback port, forwarded as plain HTTP to `target_port`."""

    def __init__(self, cert, target_port: int):
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(self.context)
        self.target_port = target_port
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client) -> None:
        try:
            tls = self.context.wrap_socket(client, server_side=True)
        except (ssl.SSLError, OSError):
            client.close()  # the client did not trust us: nothing to forward
            return
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        threading.Thread(target=self._pump, args=(upstream, tls), daemon=True).start()
        self._pump(tls, upstream)

    @staticmethod
    def _pump(src, dst) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.close()
            except OSError:
                pass

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def tls_orthanc(tmp_path_factory, orthanc):
    d = tmp_path_factory.mktemp("orthanc-tls")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.private_key_and_cert_chain_pem.write_to_path(str(d / "server.pem"))
    cert.cert_chain_pems[0].write_to_path(str(d / "cert.pem"))
    cert.private_key_pem.write_to_path(str(d / "key.pem"))
    ca.cert_pem.write_to_path(str(d / "ca.pem"))
    dicom_port = free_port()
    config = {
        "Name": "SODTLS",
        "StorageDirectory": str(d / "db"),
        "IndexDirectory": str(d / "db"),
        "HttpServerEnabled": False,
        "DicomPort": dicom_port,
        "DicomAet": "ORTHANC",
        "DicomAlwaysAllowEcho": True,
        "DicomTlsEnabled": True,
        "DicomTlsCertificate": str(d / "cert.pem"),
        "DicomTlsPrivateKey": str(d / "key.pem"),
        "DicomTlsTrustedCertificates": str(d / "ca.pem"),
        "DicomTlsRemoteCertificateRequired": False,
    }
    (d / "orthanc.json").write_text(json.dumps(config))
    with open(d / "orthanc.log", "wb") as log:
        proc = subprocess.Popen([ORTHANC, str(d / "orthanc.json")], stdout=log, stderr=subprocess.STDOUT, cwd=d)
    proxy = TlsProxy(cert, orthanc.http_port)
    try:
        _wait_port(dicom_port, 30)
        yield {"dicom_port": dicom_port, "url": f"https://127.0.0.1:{proxy.port}/dicom-web", "ca": str(d / "ca.pem")}
    finally:
        proxy.close()
        proc.terminate()
        proc.wait(15)


def test_dicom_tls_is_verified(profile, tls_orthanc):
    node = PacsNode(
        "TLS PACS",
        ae_title="ORTHANC",
        host="127.0.0.1",
        port=tls_orthanc["dicom_port"],
        tls=True,
        ca_file=tls_orthanc["ca"],
    )
    assert "answered the DICOM echo" in pacs.echo(profile, node)
    with pytest.raises(PacsRefused, match=r"certificate .* is not trusted"):
        pacs.echo(profile, node.with_changes(ca_file=""))
    with pytest.raises(PacsRefused, match="expect TLS"):
        pacs.echo(profile, node.with_changes(tls=False))


def test_dicomweb_https_is_verified(profile, tls_orthanc):
    node = PacsNode(
        "TLS web",
        kind=DICOMWEB,
        base_url=tls_orthanc["url"],
        username=USER,
        password=PASSWORD,
        ca_file=tls_orthanc["ca"],
    )
    assert "QIDO-RS" in pacs.echo(profile, node)
    assert pacs.search(profile, node, pacs.StudyQuery(patient_id="nobody-here")) == []
    with pytest.raises(PacsRefused, match="not trusted"):
        pacs.echo(profile, node.with_changes(ca_file=""))
