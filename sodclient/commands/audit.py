"""`sodclient audit [--verify]`: print the audit trail, or check it has not been altered."""

from __future__ import annotations

import json

from sodclient import audit_text
from sodclient.errors import AuditDamaged


def register(sub) -> None:
    p = sub.add_parser("audit", help="show the tamper-evident audit trail; --verify checks its integrity")
    p.add_argument("--verify", action="store_true", help="check the hash chain and the record count")
    p.add_argument("--raw", action="store_true", help="print each record's event name and fields as stored")
    p.set_defaults(handler=_run)


def _run(args, profile) -> int:
    if args.verify:
        result = profile.audit.verify()
        if not result.ok:
            raise AuditDamaged(f"audit trail DAMAGED: {result.problem}")
        print(f"audit trail intact: {result.records} record(s)")
        return 0
    records = profile.audit.read()
    if not records:
        print(f"The audit trail is empty: nothing has been sent, received or changed yet ({profile.audit.path}).")
        return 0
    for rec in records:
        if args.raw:
            print(f"{rec.get('seq')}  {rec.get('time')}  {rec.get('event')}  "
                  f"{json.dumps(rec.get('fields', {}), sort_keys=True, ensure_ascii=False)}")
        else:
            print(audit_text.line(rec))
    return 0
