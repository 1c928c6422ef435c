"""One audit story: typed events with one naming style, `audit verify` naming the first broken entry,
and `audit export --csv` filtered by kind and date."""

from __future__ import annotations

import ast
import csv
import io
import json
from pathlib import Path

import pytest

from sodclient.audit_events import AREAS, SPECS, STYLE, AuditEvent, area_of
from sodclient.cli import main as cli_main
from sodclient.services import audit as audit_service
from tests.profiles import current

ROOT = Path(__file__).resolve().parent.parent.parent


def _story():
    trail = current().audit
    trail.record(AuditEvent.CONFIG_CHANGE, keys=["sftp.host"])
    trail.record(AuditEvent.SIGN_IN, protection="passphrase", via="app")
    trail.record(AuditEvent.UPLOAD, remote_name="a.sod", size=10)
    trail.record(AuditEvent.SIGN_IN_FAILED, reason="wrong-passphrase", via="unlock")
    trail.record(AuditEvent.LOCK, reason="idle")


def test_every_event_follows_the_naming_style_and_has_a_kind():
    for event in AuditEvent:
        assert STYLE.fullmatch(event.value) and event in SPECS and area_of(event.value) in AREAS
    assert area_of("trust-host") == "trust" and area_of("library-import") == "import"  # legacy names


def test_records_are_checked_against_their_event():
    trail = current().audit
    with pytest.raises(ValueError, match="unknown"):
        trail.record("uploaded-thing", size=1)
    with pytest.raises(ValueError, match="missing"):
        trail.record(AuditEvent.UPLOAD, size=1)
    with pytest.raises(ValueError, match="unexpected"):
        trail.record(AuditEvent.LOCK, reason="idle", windows=3)
    with pytest.raises(ValueError, match="legacy"):
        trail.record("trust-host", host="h", port=22, fingerprint="SHA256:x")
    assert trail.read() == []


def test_the_services_record_only_typed_events():
    """Every `audit.record(...)` in the app names a known event (AuditEvent.X or its exact value)."""
    known = {e.value for e in AuditEvent}
    found = []
    for path in (ROOT / "sodclient").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", "") == "record"
                and node.args
                and "audit" in ast.unparse(node.func)
            ):
                first = node.args[0]
                ok = (
                    (isinstance(first, ast.Attribute) and ast.unparse(first).startswith("AuditEvent."))
                    or (isinstance(first, ast.IfExp))
                    or (isinstance(first, ast.Constant) and first.value in known)
                )
                found.append((path.name, ast.unparse(first), ok))
    assert found and [f for f in found if not f[2]] == []


def test_verify_names_the_edited_entry(capsys):
    _story()
    assert cli_main(["audit", "verify"]) == 0 and "5 record(s)" in capsys.readouterr().out
    path = current().paths.audit_file
    lines = path.read_text().splitlines(keepends=True)
    record = json.loads(lines[2])
    record["fields"]["size"] = 99999
    lines[2] = json.dumps(record, sort_keys=True) + "\n"
    path.write_text("".join(lines))
    assert cli_main(["audit", "verify"]) == 6
    err = capsys.readouterr().err
    assert "record 3 (upload at " in err and "altered" in err
    assert cli_main(["audit", "--verify"]) == 6  # the old spelling still works
    assert current().audit.verify().broken == 3


def test_export_csv_filters_by_kind_and_date(tmp_path, capsys):
    _story()
    out = tmp_path / "audit.csv"
    assert cli_main(["audit", "export", "--csv", "--output", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["event"] for r in rows] == ["config-change", "sign-in", "upload", "sign-in-failed", "lock"]
    assert rows[2]["kind"] == "upload" and json.loads(rows[2]["details"]) == {"remote_name": "a.sod", "size": 10}
    assert cli_main(["audit", "export", "--csv", "--kind", "sign-in"]) == 0
    only = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["event"] for r in only] == ["sign-in", "sign-in-failed"]
    today = rows[0]["time"][:10]
    assert len(audit_service.records(current(), since=today)) == 5
    assert audit_service.records(current(), until="2000-01-01") == []
    assert cli_main(["audit", "export"]) == 2  # the format must be said
    assert cli_main(["audit", "--since", "yesterday"]) == 2
