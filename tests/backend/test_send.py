"""End to end: `sodclient send` packs, uploads to a real sshd, mails through a real SMTP server, and the
link in the mail serves exactly the uploaded bytes, which open with the passphrase."""

import re
import time
import urllib.request
from datetime import UTC
from pathlib import Path

import pytest

from sodclient.cli import main as cli_main
from sodclient.deliveries import Ledger
from sodclient.progress import CancelToken
from sodclient.services.identity import create_identity
from sodclient.services.outbox import pending
from sodclient.services.send import SendRequest, send
from sodformat import PassphraseIdentity, PassphraseRecipient, collect_sources, generate_identity, pack, unpack, verify
from sodformat.errors import CancelledError
from tests.backend.helpers import configure, trust
from tests.profiles import current

PASSPHRASE = "Correct-Horse-42-battery"


@pytest.fixture
def ready(sshd, smtp_server, download_site, tmp_path):
    configure(sshd, smtp_server, download_site)
    trust(sshd, tmp_path)
    return sshd, smtp_server


def _study(tmp_path) -> Path:
    root = tmp_path / "DOE_JOHN_study"
    (root / "series1").mkdir(parents=True)
    for i in range(5):
        (root / "series1" / f"DOE_JOHN_{i}.dcm").write_bytes(bytes([i]) * (200_000 + i))
    (root / "report.pdf").write_bytes(b"%PDF-1.4 fake report " * 1000)
    return root


def _passfile(tmp_path, text=PASSPHRASE) -> Path:
    p = tmp_path / "pass.txt"
    p.write_text(text + "\n")
    return p


def test_send_happy_path_link_serves_exact_bytes(ready, tmp_path, capsys):
    sshd, smtp = ready
    study = _study(tmp_path)
    code = cli_main(
        [
            "send",
            "--to",
            "dr.who@clinic.example",
            "--cc",
            "ward@clinic.example",
            "--passphrase-file",
            str(_passfile(tmp_path)),
            "--message",
            "CT for the meeting",
            "--expires-in-days",
            "3",
            str(study),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    link = out.strip().splitlines()[-1]
    name = link.rsplit("/", 1)[1]
    assert re.fullmatch(r"[a-z2-7]{32}\.sod", name)
    # the mail: link, expiry, the sender's text; never the passphrase or file/patient names
    (env,) = smtp.messages
    mail = env.content.decode()
    assert link in mail and "CT for the meeting" in mail and "Available until" in mail
    assert PASSPHRASE not in mail and "DOE" not in mail and "report.pdf" not in mail
    assert sorted(env.rcpt_tos) == ["dr.who@clinic.example", "ward@clinic.example"]
    # the link serves exactly what was uploaded, and it opens with the passphrase
    downloaded = tmp_path / "download.sod"
    downloaded.write_bytes(urllib.request.urlopen(link, timeout=10).read())
    assert downloaded.read_bytes() == (sshd.upload_dir / name).read_bytes()
    contents = unpack(downloaded, tmp_path / "opened", [PassphraseIdentity(PASSPHRASE)])
    assert (tmp_path / "opened" / "DOE_JOHN_study" / "series1" / "DOE_JOHN_3.dcm").read_bytes() == (
        study / "series1" / "DOE_JOHN_3.dcm"
    ).read_bytes()
    assert contents.header.expires.timestamp() - time.time() == pytest.approx(3 * 86400, abs=120)
    # bookkeeping: ledger, audit chain, nothing left in the spool
    assert [d.remote_name for d in Ledger(current().paths.ledger_file).load()] == [name]
    assert current().audit.verify().ok
    events = [r["event"] for r in current().audit.read()]
    assert {"upload", "notify", "send", "trust", "config-change"} <= set(events)
    assert (
        "DOE" not in current().paths.audit_file.read_text() and PASSPHRASE not in current().paths.audit_file.read_text()
    )
    assert [p for p in current().paths.spool.iterdir() if p.name != "outbox"] == []


def test_send_to_public_key(ready, tmp_path):
    sshd, smtp = ready
    ident = generate_identity()
    result = send(
        current(), SendRequest([_study(tmp_path)], ["dr.who@clinic.example"], recipient_keys=[str(ident.recipient)])
    )
    assert result.notified
    unpack(sshd.upload_dir / result.remote_name, tmp_path / "opened", [ident])
    assert (tmp_path / "opened" / "DOE_JOHN_study" / "report.pdf").exists()


def test_send_is_signed_with_own_key_when_there_is_one(ready, tmp_path):
    sshd, smtp = ready
    ident, study = generate_identity(), _study(tmp_path)

    def send_and_read_signer(**kw):
        result = send(
            current(), SendRequest([study], ["dr.who@clinic.example"], recipient_keys=[str(ident.recipient)], **kw)
        )
        return verify(sshd.upload_dir / result.remote_name, [ident]).signer

    assert send_and_read_signer() is None  # no own key yet
    me = create_identity(current(), protection="keyring")
    assert send_and_read_signer() == me.signing_public
    assert send_and_read_signer(sign=False) is None
    assert [r["fields"]["signed"] for r in current().audit.read() if r["event"] == "send"] == [False, True, False]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--passphrase-file", "WEAK"], "too weak"),
        (["--passphrase-file", "OK", "--expires-in-days", "15"], "1 to 14 days"),
        (["--passphrase-file", "OK", "--expires-in-days", "0"], "1 to 14 days"),
        (["--recipient", "sod1notakey"], "not a recipient key"),
        ([], "passphrase or their public key"),
    ],
)
def test_send_refuses_bad_requests_before_anything_is_sent(ready, tmp_path, capsys, args, message):
    sshd, smtp = ready
    weak = _passfile(tmp_path, "password1")
    ok = tmp_path / "ok.txt"
    ok.write_text(PASSPHRASE)
    args = [str(weak) if a == "WEAK" else str(ok) if a == "OK" else a for a in args]
    assert cli_main(["send", "--to", "dr.who@clinic.example", *args, str(_study(tmp_path))]) == 2
    assert message in capsys.readouterr().err
    assert list(sshd.upload_dir.iterdir()) == [] and smtp.messages == []
    assert current().audit.read()[-1]["event"] == "send-failed" and current().audit.verify().ok


def test_mail_failure_after_upload_goes_to_outbox_then_retry(ready, smtp_server, tmp_path, capsys):
    sshd, smtp = ready
    configure(**{"smtp.port": "1"})  # mail server unreachable
    code = cli_main(
        ["send", "--to", "dr.who@clinic.example", "--passphrase-file", str(_passfile(tmp_path)), str(_study(tmp_path))]
    )
    out = capsys.readouterr().out
    assert code == 7 and "waits in the outbox" in out
    link = out.strip().splitlines()[-1]
    assert (sshd.upload_dir / link.rsplit("/", 1)[1]).exists()  # upload done, nothing lost
    assert len(pending(current())) == 1
    configure(**{"smtp.port": str(smtp.port)})
    assert cli_main(["outbox", "retry"]) == 0
    assert pending(current()) == [] and link in smtp.messages[0].content.decode()
    assert current().audit.verify().ok and "notify-queued" in [r["event"] for r in current().audit.read()]


def test_cancel_during_send_leaves_nothing(ready, tmp_path):
    sshd, smtp = ready
    big = tmp_path / "big"
    big.mkdir()
    import os

    (big / "a.bin").write_bytes(os.urandom(40 * 1024 * 1024))
    cancel = CancelToken()

    def progress(r):
        if r.stage == "upload" and r.done > 1024 * 1024:
            cancel.cancel()

    with pytest.raises(CancelledError):
        send(current(), SendRequest([big], ["dr.who@clinic.example"], passphrases=[PASSPHRASE]), progress, cancel)
    assert list(sshd.upload_dir.iterdir()) == [] and smtp.messages == []
    assert [p for p in current().paths.spool.iterdir() if p.name != "outbox"] == []


def test_purge_expired(ready, tmp_path, capsys):
    sshd, smtp = ready
    fresh = send(current(), SendRequest([_study(tmp_path)], ["dr.who@clinic.example"], passphrases=[PASSPHRASE]))
    # a delivery from another computer of the site, expired a day ago: found by its container header
    stale = sshd.upload_dir / "otherstation0000000000000000000.sod"
    pack(
        stale,
        collect_sources([_study(tmp_path / "x")]),
        [PassphraseRecipient(PASSPHRASE)],
        expires_in_days=1,
        created=time.time() - 2 * 86400,
    )
    # a valid delivery from another computer: its header says it has days to go, so it stays
    valid = sshd.upload_dir / "otherstation1111111111111111111.sod"
    pack(valid, collect_sources([_study(tmp_path / "y")]), [PassphraseRecipient(PASSPHRASE)], expires_in_days=3)
    # one of ours whose ledger says it expired
    ours = sshd.upload_dir / "ours000000000000000000000000000.sod"
    ours.write_bytes(stale.read_bytes())
    from datetime import datetime, timedelta

    Ledger(current().paths.ledger_file).add(ours.name, ours.stat().st_size, datetime.now(UTC) - timedelta(hours=1))
    (sshd.upload_dir / "index.html").write_text("not ours")
    assert cli_main(["purge-expired", "--dry-run"]) == 0
    assert stale.exists() and ours.exists()
    assert cli_main(["purge-expired"]) == 0
    out = capsys.readouterr().out
    assert not stale.exists() and not ours.exists()
    assert (sshd.upload_dir / fresh.remote_name).exists() and (sshd.upload_dir / "index.html").exists()
    assert valid.exists()  # (a header's expiry was once read as always true: every unknown delivery went)
    assert "2 deleted" in out and "2 still valid" in out
    assert current().audit.verify().ok


def _dicom(path: Path) -> None:
    import numpy as np
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = CTImageStorage, generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.PatientName, ds.PatientID, ds.Modality = "Doe^Johnathan", "MRN-7731", "CT"
    ds.Rows = ds.Columns = 64
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.PixelData = np.full((64, 64), 1000, dtype=np.uint16).tobytes()
    ds.save_as(path, enforce_file_format=True)


def test_peer_review_left_out_stops_unless_confirmed(ready, tmp_path, capsys):
    sshd, smtp = ready
    inputs = tmp_path / "case"
    inputs.mkdir()
    _dicom(inputs / "ct.dcm")
    (inputs / "scan-notes.bin").write_bytes(b"\x00\x01unknown format" * 50)
    base = [
        "send",
        "--to",
        "dr.who@clinic.example",
        "--passphrase-file",
        str(_passfile(tmp_path)),
        "--peer-review",
        str(inputs),
    ]
    assert cli_main(base) == 5
    captured = capsys.readouterr()
    assert "left out" in captured.err and "1 left out" in captured.err
    assert list(sshd.upload_dir.iterdir()) == [] and smtp.messages == []
    assert cli_main(base + ["--yes"]) == 0
    link = capsys.readouterr().out.strip().splitlines()[-1]
    contents = unpack(sshd.upload_dir / link.rsplit("/", 1)[1], tmp_path / "opened", [PassphraseIdentity(PASSPHRASE)])
    files = [e for e in contents.entries if not e.is_dir]
    assert len(files) == 1 and files[0].media_type == "application/dicom"
    opened = next(p for p in (tmp_path / "opened").rglob("*") if p.is_file())
    assert b"Johnathan" not in opened.read_bytes() and b"MRN-7731" not in opened.read_bytes()
    assert [p for p in current().paths.spool.iterdir() if p.name != "outbox"] == []  # de-identified copies removed


def test_upload_that_keeps_failing_is_kept_and_resumed_by_outbox_retry(
    ready, cutting_proxy, tmp_path, capsys, monkeypatch
):
    import importlib
    import os

    upload_module = importlib.import_module("sodclient.transport.upload")  # the package re-exports upload()
    from sodclient.transport import hostkeys

    sshd, smtp = ready
    monkeypatch.setattr(upload_module, "RETRY_ATTEMPTS", 2)
    monkeypatch.setattr(upload_module, "RETRY_BACKOFF_S", 0.05)
    proxy = cutting_proxy(cut_after=2 * 1024 * 1024, cut_connections=None)  # the link keeps dropping
    hostkeys.trust(
        current().paths.known_hosts,
        "127.0.0.1",
        proxy.port,
        hostkeys.load(current().paths.known_hosts).lookup(hostkeys.host_id("127.0.0.1", sshd.port))["ssh-ed25519"],
    )
    configure(**{"sftp.port": str(proxy.port)})
    data = tmp_path / "data"
    data.mkdir()
    (data / "scan.bin").write_bytes(os.urandom(6 * 1024 * 1024))
    code = cli_main(["send", "--to", "dr.who@clinic.example", "--passphrase-file", str(_passfile(tmp_path)), str(data)])
    err = capsys.readouterr().err
    assert code == 4 and "outbox retry" in err and "lost" in err
    (entry,) = pending(current())
    assert entry.upload_pending and smtp.messages == []
    assert entry.resume_below is not None  # how far the file is surely written: the retry goes on from at most there
    parts = list(sshd.upload_dir.glob(".*.part"))
    # a partial upload, never published (how many bytes reached the disk before the cut depends on the
    # machine's load: a busy server may have written none, so the size is not asserted)
    assert len(parts) == 1 and not (sshd.upload_dir / entry.remote_name).exists()
    assert cli_main(["outbox", "list"]) == 0 and "upload + mail" in capsys.readouterr().out

    configure(**{"sftp.port": str(sshd.port)})  # the network is back
    assert cli_main(["outbox", "retry"]) == 0
    published = sshd.upload_dir / entry.remote_name
    assert published.exists() and not list(sshd.upload_dir.glob(".*.part"))
    assert entry.link in smtp.messages[0].content.decode()
    unpack(published, tmp_path / "opened", [PassphraseIdentity(PASSPHRASE)])
    assert (tmp_path / "opened" / "data" / "scan.bin").read_bytes() == (data / "scan.bin").read_bytes()
    assert pending(current()) == [] and not any(current().paths.pending_dir.iterdir())
    assert [d.remote_name for d in Ledger(current().paths.ledger_file).load()] == [entry.remote_name]
    assert current().audit.verify().ok


def test_a_failure_after_the_upload_quits_the_prepared_mail_connection(ready, tmp_path):
    """The mail connection opened during the upload is ended with QUIT when recording the delivery fails
    afterwards, not left for the garbage collector; and no mail goes out for a send that failed."""
    import time

    from sodclient.services.send import SendRequest, send

    _sshd, smtp = ready
    ledger = current().paths.ledger_file
    ledger.parent.mkdir(parents=True, exist_ok=True)
    ledger.mkdir()  # a folder where the ledger file should be: recording the delivery fails after the upload
    with pytest.raises(OSError):
        send(current(), SendRequest([_study(tmp_path)], ["dr.who@clinic.example"], passphrases=[PASSPHRASE]))
    deadline = time.monotonic() + 10
    while not smtp.quits and time.monotonic() < deadline:
        time.sleep(0.05)
    assert smtp.quits and smtp.messages == []
