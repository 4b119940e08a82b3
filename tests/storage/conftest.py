"""Fixtures for the storage tests: real embedded Kubo nodes in temporary repos, and KuboRPC
clients on a live Kubo RPC endpoint (the stand-in below, or FM_TEST_IPFS_API when set).

No brownie fixtures: these tests run under plain pytest and under `brownie test`.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ipfs_store import EmbeddedKubo, KuboRPC, Storage

from .kubo_standin import KuboStandIn
from .unixfs_reference import dir_block, file_block, put_block

LIVE_API = os.environ.get("FM_TEST_IPFS_API", "").strip()


@pytest.fixture(scope="session")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedKubo]:
    """One offline Kubo node for the session (repo in a temporary folder)."""
    with EmbeddedKubo(tmp_path_factory.mktemp("kubo") / "repo") as node:
        yield node


@pytest.fixture(scope="session")
def standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KuboStandIn]:
    """A stand-in Kubo daemon on 127.0.0.1 backed by its own real embedded node."""
    with EmbeddedKubo(tmp_path_factory.mktemp("kubo-standin") / "repo") as node:
        with KuboStandIn(node) as server:
            yield server


@pytest.fixture
def rpc(standin: KuboStandIn) -> Iterator[KuboRPC]:
    with KuboRPC(standin.multiaddr) as client:
        yield client


BACKENDS = ["embedded", "rpc-standin"] + (["rpc-live"] if LIVE_API else [])


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest) -> Iterator[Storage]:
    """Every backend in turn: the round-trip tests run against each."""
    if request.param == "embedded":
        yield request.getfixturevalue("embedded")
    elif request.param == "rpc-standin":
        yield request.getfixturevalue("rpc")
    else:
        with KuboRPC(LIVE_API) as client:
            yield client


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    """A small model-bundle-like folder: nested folder, hidden file, empty folder, >256 KiB file."""
    root = tmp_path / "bundle"
    (root / "weights").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "spec.json").write_text('{"cell": "lstm", "units": 32}\n')
    (root / ".meta").write_text("hidden entries count too\n")
    (root / "weights" / "w.npz").write_bytes(os.urandom(300 * 1024))
    return root


@dataclass
class Crafted:
    """A backend plus the Kubo repo it reads from, where tests put hand-made (hostile) blocks."""

    backend: str
    store: Storage
    repo: Path
    standin: KuboStandIn | None = None

    def put(self, block: bytes) -> str:
        return put_block(self.repo, block)

    def file(self, data: bytes = b"pwned\n") -> str:
        return self.put(file_block(data))

    def folder(self, entries: list[tuple[str | bytes, str]]) -> str:
        return self.put(dir_block(entries))


@pytest.fixture(params=["embedded", "rpc-standin"])
def crafted(request: pytest.FixtureRequest) -> Iterator[Crafted]:
    """Each backend in turn, with the repo behind it (the embedded node's own, or the stand-in's)."""
    if request.param == "embedded":
        node = request.getfixturevalue("embedded")
        node.start()
        yield Crafted("embedded", node, node.repo_path)
    else:
        standin = request.getfixturevalue("standin")
        standin.node.start()
        yield Crafted("rpc-standin", request.getfixturevalue("rpc"), standin.node.repo_path, standin)
        standin.drip_s = standin.stall_s = None
