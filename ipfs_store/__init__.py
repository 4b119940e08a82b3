"""IPFS storage for the forecast market: datasets and model bundles in, by CID out.

    from ipfs_store import open_storage
    with open_storage() as store:                 # EmbeddedKubo, or KuboRPC if IPFS_API is set
        cid = store.add_folder("bundle/")
        digest = sha256_tree("bundle/")          # what the chain records beside the CID
        store.get_verified(cid, "downloaded/", digest)

Every fetch lists the whole tree first and refuses it, before writing a byte, if a name is
unsafe, if it is deeper than MAX_DEPTH levels, holds more than MAX_ENTRIES entries or more than
`max_bytes`; it gives up after `timeout_s` seconds (DEFAULT_TIMEOUT_S) and leaves nothing behind.
"""
from .base import DEFAULT_MAX_BYTES, Storage, check_cid
from .digest import sha256_file, sha256_path, sha256_tree
from .errors import IntegrityError, StorageError, TooLargeError
from .rules import DEFAULT_TIMEOUT_S, MAX_DEPTH, MAX_ENTRIES, MAX_NAME_BYTES, MAX_PATH_BYTES
from .settings import default_data_dir, default_repo_path, open_storage
from .tree import check_tree, path_size, remove_tree


def __getattr__(name: str):
    """The two backends on first use: the RPC client's HTTP stack and the embedded node's library
    cost a few hundred ms to import, which a command that only reads the chain never needs."""
    if name == "EmbeddedKubo":
        from .embedded import EmbeddedKubo

        return EmbeddedKubo
    if name == "KuboRPC":
        from .rpc import KuboRPC

        return KuboRPC
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TIMEOUT_S",
    "MAX_DEPTH",
    "MAX_ENTRIES",
    "MAX_NAME_BYTES",
    "MAX_PATH_BYTES",
    "EmbeddedKubo",
    "IntegrityError",
    "KuboRPC",
    "Storage",
    "StorageError",
    "TooLargeError",
    "check_cid",
    "check_tree",
    "default_data_dir",
    "default_repo_path",
    "open_storage",
    "path_size",
    "remove_tree",
    "sha256_file",
    "sha256_path",
    "sha256_tree",
]
