"""`sodclient audit [list|verify|export --csv]`: show, check or export the tamper-evident audit trail.

`sodclient audit --verify` (the first releases' spelling) still works and means `audit verify`.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from sodclient import audit_text
from sodclient.errors import InputError
from sodclient.services import audit


def register(sub) -> None:
    p = sub.add_parser("audit", help="show the audit trail; `audit verify` checks it; `audit export --csv` exports it")
    p.add_argument(
        "action",
        nargs="?",
        default="list",
        choices=["list", "verify", "export"],
        help="list (default), verify (exit 6 naming the first broken entry) or export",
    )
    p.add_argument("--verify", action="store_true", help="same as `audit verify`")
    p.add_argument("--csv", action="store_true", help="export as CSV (the only export format)")
    p.add_argument("--output", "-o", type=Path, metavar="FILE", help="write the export here (default: stdout)")
    p.add_argument("--kind", action="append", default=[], choices=audit.KINDS, help="only this kind (repeatable)")
    p.add_argument("--since", default="", metavar="YYYY-MM-DD", help="only records from this day on (UTC)")
    p.add_argument("--until", default="", metavar="YYYY-MM-DD", help="only records up to this day (UTC)")
    p.add_argument("--raw", action="store_true", help="print each record's event name and fields as stored")
    p.set_defaults(handler=_run)


def _day(text: str, what: str) -> str:
    if text and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise InputError(f"{what} must be a date like 2026-12-31")
    return text


def _run(args, profile) -> int:
    since, until = _day(args.since, "--since"), _day(args.until, "--until")
    if args.verify or args.action == "verify":
        result = audit.require_intact(profile)
        print(f"audit trail intact: {result.records} record(s)")
        return 0
    if args.action == "export":
        if not args.csv:
            raise InputError("say the format: `sodclient audit export --csv`")
        if args.output:
            with open(args.output, "w", encoding="utf-8", newline="") as out:
                n = audit.export_csv(profile, out, args.kind, since, until)
            print(f"exported {n} record(s) to {args.output}", file=sys.stderr)
        else:
            audit.export_csv(profile, sys.stdout, args.kind, since, until)
        return 0
    records = audit.records(profile, args.kind, since, until)
    if not records:
        if args.kind or since or until:
            print("No audit records match.")
        else:
            print(f"The audit trail is empty: nothing has been sent, received or changed yet ({profile.audit.path}).")
        return 0
    for rec in records:
        if args.raw:
            print(
                f"{rec.get('seq')}  {rec.get('time')}  {rec.get('event')}  "
                f"{json.dumps(rec.get('fields', {}), sort_keys=True, ensure_ascii=False)}"
            )
        else:
            print(audit_text.line(rec))
    return 0
