"""docs/CLIENTS.md is what a third party builds from: its ABI file, digest and score definitions
must match the code. The digest and score below are written from that page, not from the code."""
import hashlib
import json
import os
import re
from pathlib import Path

import pytest

from forecast_market.protocol import INT64_MAX, INT64_MIN, CreditReason, failure_score
from ipfs_store import sha256_tree
from ml_models.metrics import to_score_int

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_abi_is_the_compiled_one():
    compiled = json.loads((ROOT / "build" / "contracts" / "ForecastMarket.json").read_text())["abi"]
    committed = json.loads((ROOT / "abi" / "ForecastMarket.json").read_text())
    key = lambda item: json.dumps(item, sort_keys=True)  # noqa: E731
    assert sorted(map(key, committed)) == sorted(map(key, compiled)), (
        "abi/ForecastMarket.json is stale: copy the 'abi' of build/contracts/ForecastMarket.json into it")


def test_the_credited_event_and_its_reasons_are_as_documented():
    """The documented signature is the ABI's, and the table of reasons lists CreditReason (which
    tests/contract/test_protocol_shapes.py ties to the Solidity enum) by number and name, in order."""
    text = (ROOT / "docs" / "CLIENTS.md").read_text()
    committed = json.loads((ROOT / "abi" / "ForecastMarket.json").read_text())
    (event,) = [e for e in committed if e["type"] == "event" and e["name"] == "Credited"]
    signature = ", ".join(f"{i['type']}{' indexed' if i['indexed'] else ''} {i['name']}" for i in event["inputs"])
    assert f"`Credited({signature})`" in text
    documented = [(int(n), name) for n, name in re.findall(r"^\| (\d+) \| `(\w+)` \|", text, re.MULTILINE)]
    assert documented == [(m.value, str(m)) for m in CreditReason]


def digest_as_documented(folder: Path) -> str:
    entries = []
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            entries.append((path.relative_to(folder).as_posix().encode("utf-8"), path.is_dir(), path))
    h = hashlib.sha256()
    for rel, is_dir, path in sorted(entries):
        h.update(b"d" + rel + b"\x00" if is_dir else b"f" + rel + b"\x00" + hashlib.sha256(path.read_bytes())
                 .hexdigest().encode("ascii"))
    return h.hexdigest()


def test_the_bundle_digest_is_as_documented(tmp_path):
    folder = tmp_path / "bundle"
    (folder / "sub" / "empty").mkdir(parents=True)
    (folder / "spec.json").write_text('{"kind": "naive"}')
    (folder / "weights.safetensors").write_bytes(os.urandom(3000))
    (folder / ".hidden").write_bytes(b"")
    (folder / "sub" / "é-ünïcode.txt").write_text("x")
    assert sha256_tree(folder) == digest_as_documented(folder)
    (tmp_path / "empty").mkdir()
    assert sha256_tree(tmp_path / "empty") == hashlib.sha256(b"").hexdigest()


@pytest.mark.parametrize("value", [0.0, 1.2345674, 0.6913, -3.5, 1234567.891])
def test_scores_are_the_value_times_a_million_rounded(value):
    assert to_score_int(value) == round(value * 10**6)


def test_the_failure_scores_are_the_documented_int64_extremes():
    assert failure_score(False) == INT64_MAX == 9223372036854775807
    assert failure_score(True) == INT64_MIN == -9223372036854775808
