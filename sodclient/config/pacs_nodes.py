"""The PACS nodes the user set up (System → PACS Nodes), kept sealed by the vault in a versioned JSON store.

Sealed because a DICOMweb node may carry a password; versioned (files.versioned) so a later release can add
fields and still read this one's file. Unknown fields from a newer release are dropped on read.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING

from sodclient.config.schema import ConfigError
from sodclient.files import NewerFormat, atomic_write, known_fields, locked, upgrade, versioned
from sodclient.pacs.nodes import PacsNode

if TYPE_CHECKING:
    from sodclient.profile import Profile

KIND, VERSION = "pacs-nodes", 1
_PURPOSE = "pacs-nodes"


def load_nodes(profile: Profile) -> list[PacsNode]:
    path = profile.paths.pacs_nodes_file
    if not path.exists():
        return []
    try:
        document = json.loads(profile.vault.unseal(path.read_bytes(), _PURPOSE).decode("utf-8"))
        items = upgrade(document, KIND, VERSION, {})
    except NewerFormat as exc:
        raise ConfigError(str(exc)) from None
    except (ValueError, UnicodeDecodeError):
        raise ConfigError("the PACS node settings are damaged; set the nodes up again") from None
    return [PacsNode(**known_fields(PacsNode, item)) for item in items if isinstance(item, dict)]


def save_nodes(profile: Profile, nodes: list[PacsNode]) -> None:
    path = profile.paths.pacs_nodes_file
    data = json.dumps(versioned(KIND, VERSION, [asdict(n) for n in nodes])).encode("utf-8")
    with locked(path):
        atomic_write(path, profile.vault.seal(data, _PURPOSE))
