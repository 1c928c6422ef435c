"""`sodclient config set KEY=VALUE...` and `sodclient config show` (what FTP Config edits)."""

from __future__ import annotations

import sys

from sodclient.config import KEYS, ConfigError
from sodclient.services.settings import change_settings


def register(sub) -> None:
    p = sub.add_parser("config", help="show or change the encrypted SFTP/SMTP settings")
    actions = p.add_subparsers(dest="config_action", metavar="ACTION", required=True)
    s = actions.add_parser("set", help="set KEY=VALUE (validated; secrets are stored encrypted)")
    s.add_argument("pairs", nargs="+", metavar="KEY=VALUE", help=f"keys: {', '.join(KEYS)}")
    s.set_defaults(handler=_set)
    show = actions.add_parser("show", help="print every setting (secrets masked) and where it comes from")
    show.set_defaults(handler=_show)


def _set(args, profile) -> int:
    changes = {}
    for pair in args.pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ConfigError(f"expected KEY=VALUE, got {pair!r}")
        if value == "-" and KEYS.get(key.strip()) and KEYS[key.strip()].secret:
            value = sys.stdin.readline().rstrip("\n")  # keep secrets out of shell history: `... password=-`
        changes[key.strip()] = value
    change_settings(profile, changes)
    print(f"saved {len(changes)} setting(s)")
    return 0


def _show(args, profile) -> int:
    settings = profile.settings()
    width = max(len(k) for k in KEYS)
    for key, value, origin in settings.shown():
        print(f"{key:<{width}}  {value or '-'}  [{origin}]")
    print(f"\nencrypted settings: {profile.paths.settings_file}\nsite defaults: {profile.site_defaults or 'none'}")
    return 0
