"""`sodclient purge-expired`: delete this app's expired deliveries (and stale partial uploads) from the server."""

from __future__ import annotations

from sodclient.services.purge import purge_expired


def register(sub) -> None:
    p = sub.add_parser("purge-expired", help="delete expired deliveries from the SFTP server")
    p.add_argument("--dry-run", action="store_true", help="only list what would be deleted")
    p.set_defaults(handler=_run)


def _run(args, profile) -> int:
    report = purge_expired(profile, dry_run=args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    for name, why in report.deleted:
        print(f"{verb} {name} ({why})")
    for name, why in report.kept_unknown:
        print(f"kept {name}: {why}")
    print(f"{len(report.deleted)} {verb}, {report.kept} still valid, {len(report.kept_unknown)} not ours/unknown")
    return 0
