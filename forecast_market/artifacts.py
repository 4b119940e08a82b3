"""Moving artifacts between IPFS, disk and the chain's records: datasets, test sets, bundles.

Every bundle fetched for scoring is checked against the sha256 recorded on chain before use;
a mismatch deletes what was downloaded and raises.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from ipfs_store import check_tree, open_storage, path_size, sha256_tree

from .errors import ArtifactError

_STORE = None


def store():
    """The process's storage: the embedded Kubo node, or Kubo RPC when IPFS_API is set."""
    global _STORE
    if _STORE is None:
        _STORE = open_storage()
    return _STORE


def close_store() -> None:
    global _STORE
    if _STORE is not None:
        _STORE.close()
        _STORE = None


def new_salt() -> bytes:
    return os.urandom(32)


def check_downloadable(folder: Path) -> None:
    """Refuse a folder that others could not fetch: names, depth or entries a fetch refuses
    (StorageError), or more bytes than the download limit participants apply (ArtifactError)."""
    check_tree(folder)
    limit, size = store().max_bytes, path_size(folder)
    if size > limit:
        raise ArtifactError(f"{folder} holds {size:,} bytes, more than the {limit:,}-byte download limit "
                            "(FM_IPFS_MAX_BYTES) that others apply: nobody could fetch it; make it smaller")


def publish_folder(folder: Path) -> tuple[str, str]:
    """Add a folder to IPFS, once it is known that others can fetch it; return (CID, sha256_tree hex)."""
    check_downloadable(folder)
    digest = sha256_tree(folder)
    return store().add_folder(folder), digest


def fetch_folder(cid: str, dest: Path) -> Path:
    """Download a folder by CID (a dataset: its CID is its content address) unless already there."""
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    return store().get(cid, dest)


def fetch_bundle(cid: str, sha_hex: str, dest: Path) -> Path:
    """Download a submission bundle and check it against the digest committed on chain."""
    if dest.exists():
        if sha256_tree(dest) == sha_hex:
            return dest
        raise ArtifactError(f"{dest} exists with other content; remove it")
    dest.parent.mkdir(parents=True, exist_ok=True)
    return store().get_verified(cid, dest, sha_hex)


def write_json(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    os.replace(tmp, path)
    return path
