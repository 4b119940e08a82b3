"""Choose and configure a backend from the environment (one setting: IPFS_API)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from .base import DEFAULT_MAX_BYTES, PathLike, Storage
from .errors import StorageError
from .rules import DEFAULT_TIMEOUT_S


def default_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The project's data folder: $FM_DATA_DIR, else $XDG_DATA_HOME/forecast-market,
    else ~/.local/share/forecast-market."""
    env = os.environ if env is None else env
    if env.get("FM_DATA_DIR"):
        return Path(env["FM_DATA_DIR"]).expanduser()
    xdg = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg).expanduser() / "forecast-market"


def default_repo_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the embedded node keeps its repo: `<data dir>/ipfs`."""
    return default_data_dir(env) / "ipfs"


def open_storage(
    env: Mapping[str, str] | None = None, *, repo_path: PathLike | None = None
) -> Storage:
    """The storage the settings ask for (`env` defaults to os.environ):

    - IPFS_API set (a multiaddr like /ip4/127.0.0.1/tcp/5001): KuboRPC on that API, for your
      own Kubo daemon or a pinning service;
    - otherwise: EmbeddedKubo, an offline node in this process with its repo at `repo_path`
      (default: default_repo_path(), i.e. $FM_DATA_DIR/ipfs).

    FM_IPFS_MAX_BYTES (optional) overrides the 200 MiB download limit, FM_IPFS_TIMEOUT_S the
    300 s deadline of each fetch or pin. Nothing is started or contacted until the first call on
    the returned object.
    """
    from .embedded import EmbeddedKubo
    from .rpc import KuboRPC

    env = os.environ if env is None else env
    raw_limit = env.get("FM_IPFS_MAX_BYTES", "").strip()
    try:
        max_bytes = int(raw_limit) if raw_limit else DEFAULT_MAX_BYTES
    except ValueError:
        raise StorageError(
            f"FM_IPFS_MAX_BYTES={raw_limit!r} is not a whole number of bytes; fix or unset it"
        ) from None
    raw_timeout = env.get("FM_IPFS_TIMEOUT_S", "").strip()
    try:
        timeout_s = float(raw_timeout) if raw_timeout else DEFAULT_TIMEOUT_S
        if not 0 < timeout_s < float("inf"):
            raise ValueError
    except ValueError:
        raise StorageError(
            f"FM_IPFS_TIMEOUT_S={raw_timeout!r} is not a positive number of seconds; fix or unset it"
        ) from None
    api = env.get("IPFS_API", "").strip()
    if api:
        return KuboRPC(api, max_bytes=max_bytes, timeout_s=timeout_s)
    return EmbeddedKubo(repo_path or default_repo_path(env), max_bytes=max_bytes, timeout_s=timeout_s)
