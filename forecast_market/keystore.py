"""Local secrets that must survive until a reveal: a participant's salt and model digest, an
organizer's test-set salt and bundle path.

Each record is a small JSON file, written atomically (temp file, fsync, rename) with mode 0600
*before* the transaction that depends on it is sent: a crash after the commit cannot lose the
salt. Layout: <data dir>/keystore/<chain id>/<market address>/<competition id>/<role>-<address>.json
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .errors import KeystoreError
from .settings import settings


class Keystore:
    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root else settings().keystore_dir

    def path(self, chain_id: int, market: str, comp_id: int, role: str, address: str) -> Path:
        return self.root / str(chain_id) / market.lower() / str(comp_id) / f"{role}-{address.lower()}.json"

    def save(self, chain_id: int, market: str, comp_id: int, role: str, address: str, record: dict) -> Path:
        path = self.path(chain_id, market, comp_id, role, address)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w") as fh:
                json.dump(record, fh, indent=2, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return path

    def records(self, chain_id: int, market: str, comp_id: int | str, role: str) -> list[dict]:
        """Every readable record of ``role`` under one competition folder (unreadable ones are skipped)."""
        folder = self.path(chain_id, market, comp_id, role, "x").parent
        out = []
        for path in sorted(folder.glob(f"{role}-*.json")):
            try:
                out.append(json.loads(path.read_text()))
            except (OSError, ValueError):
                continue
        return out

    def load(self, chain_id: int, market: str, comp_id: int, role: str, address: str) -> dict:
        path = self.path(chain_id, market, comp_id, role, address)
        if not path.is_file():
            what = "salt and model digest" if role == "participant" else "test-set salt"
            raise KeystoreError(
                f"no saved {what} for competition {comp_id} and {address} at {path}: it is written "
                f"there before the commitment is sent; restore that file (or point FM_DATA_DIR at "
                f"the data folder that has it)"
            )
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise KeystoreError(f"cannot read {path}: {exc}; restore it from a backup") from exc
