"""IPFS storage for the forecast market: datasets and model bundles in, by CID out.

    from ipfs_store import open_storage
    with open_storage() as store:                 # EmbeddedKubo, or KuboRPC if IPFS_API is set
        cid = store.add_folder("bundle/")
        digest = sha256_tree("bundle/")          # what the chain records beside the CID
        store.get_verified(cid, "downloaded/", digest)
"""
from .base import DEFAULT_MAX_BYTES, Storage, check_cid
from .digest import sha256_file, sha256_path, sha256_tree
from .embedded import EmbeddedKubo
from .errors import IntegrityError, StorageError, TooLargeError
from .rpc import KuboRPC
from .settings import default_data_dir, default_repo_path, open_storage

__all__ = [
    "DEFAULT_MAX_BYTES",
    "EmbeddedKubo",
    "IntegrityError",
    "KuboRPC",
    "Storage",
    "StorageError",
    "TooLargeError",
    "check_cid",
    "default_data_dir",
    "default_repo_path",
    "open_storage",
    "sha256_file",
    "sha256_path",
    "sha256_tree",
]
