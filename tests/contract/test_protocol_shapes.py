"""The protocol's shapes as Python defines them (`forecast_market.protocol`, the revert messages of
`forecast_market.chain.reverts`) against the compiled contract: each test fails when the Solidity
side changes and the Python side does not."""
import hashlib
import json
import re
from dataclasses import fields
from pathlib import Path

import pytest
from brownie import DisputeGame, ForecastMarket, accounts, chain
from hexbytes import HexBytes

from forecast_market.chain import ERROR_TEXT, explain_revert, transact
from forecast_market.errors import ChainError
from forecast_market.protocol import (
    CHALLENGE_PERIOD_S,
    INT64_MAX,
    INT64_MIN,
    MAX_WINDOW_S,
    MIN_WINDOW_S,
    ZERO32,
    CompetitionParams,
    CreditReason,
    Phase,
    Status,
    any_score_qualifies,
    failure_score,
    model_commitment,
    test_set_commitment,
)

from market_helpers import DAY, REWARD, reverts

INTERFACE_BUILD = Path(__file__).resolve().parents[2] / "build" / "interfaces" / "IForecastMarket.json"
# The deployed contract's ABI: its own errors and those it inherits (OpenZeppelin's).
# The dispute game it deploys reverts with its own errors (and the step verifier's) in the same transactions.
ABI_ERRORS = {e["name"]: e["inputs"] for e in ForecastMarket.abi + DisputeGame.abi if e["type"] == "error"}


def _abi_function(name: str) -> dict:
    return next(e for e in ForecastMarket.abi if e["type"] == "function" and e["name"] == name)


def _solidity_enums() -> dict[str, list[str]]:
    """Enum name -> member names in order, from the compiled interface's AST."""
    found = {}

    def walk(node):
        if isinstance(node, dict):
            if node.get("nodeType") == "EnumDefinition":
                found[node["name"]] = [m["name"] for m in node["members"]]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(INTERFACE_BUILD.read_text())["ast"])
    return found


# ------------------------------------------------------------------------------------- enums

@pytest.mark.parametrize("enum", [Phase, Status, CreditReason], ids=lambda e: e.__name__)
def test_enum_members_match_the_solidity_enum(enum):
    solidity = _solidity_enums()[enum.__name__]
    assert [str(m) for m in enum] == solidity  # FALLBACK_SHARE prints as FallbackShare
    assert [m.value for m in enum] == list(range(len(solidity)))


def test_the_credited_event_carries_the_credit_reason():
    (event,) = [e for e in ForecastMarket.abi if e["type"] == "event" and e["name"] == "Credited"]
    assert [(i["name"], i["type"], i["indexed"]) for i in event["inputs"]] == [
        ("account", "address", True), ("id", "uint256", True), ("amount", "uint256", False),
        ("reason", "uint8", False)]
    assert event["inputs"][-1]["internalType"] == "enum IForecastMarket.CreditReason"


# ------------------------------------------------------------------------------------- creation

def test_competition_params_fields_are_the_abi_components_of_create_competition():
    (struct,) = _abi_function("createCompetition")["inputs"]
    assert struct["internalType"] == "struct IForecastMarket.CompetitionParams"
    assert [f.name for f in fields(CompetitionParams)] == [c["name"] for c in struct["components"]]


def test_params_built_by_the_dataclass_are_accepted_and_stored_field_by_field(market, organizer):
    p = CompetitionParams.starting(
        chain.time(), submission_s=2 * DAY, reveal_s=MIN_WINDOW_S, evaluation_s=3 * MIN_WINDOW_S,
        dataCid="QmShapesTrainingData", target="load", sequenceLength=24, horizon=6, metric=3,
        higherIsBetter=True, minScore=-1_500_000, prizeBps=(6000, 3000, 1000), entryDeposit=12_345,
        testCommitment=test_set_commitment("QmShapesTestSet", b"\x2a" * 32))
    cid = market.createCompetition(p.as_tuple(), {"from": organizer, "value": REWARD}).return_value
    c = market.competition(cid)
    for f in fields(p):
        expected, got = getattr(p, f.name), c[f.name]
        if f.name == "prizeBps":  # stored as uint16[3] plus a count
            expected, got = list(expected), list(got)[: c["prizeCount"]]
        elif isinstance(expected, bytes):
            expected, got = HexBytes(expected), HexBytes(got)
        assert got == expected, f.name


def test_window_bounds_and_the_challenge_period_are_the_contracts(market):
    assert (market.MIN_WINDOW(), market.MAX_WINDOW(), market.CHALLENGE_PERIOD()) == (
        MIN_WINDOW_S, MAX_WINDOW_S, CHALLENGE_PERIOD_S)


# ------------------------------------------------------------------------------------- commitments

@pytest.mark.parametrize("model_cid, sha, salt, who, comp_id", [
    ("QmShapesModel", hashlib.sha256(b"bundle").hexdigest(), b"\x01" * 32, 1, 1),  # digests as clients hold them
    ("", hashlib.sha256(b"other").digest(), b"\x00" * 32, 2, 2**64 + 3),
], ids=["hex-digest", "bytes-digest"])
def test_model_commitment_equals_the_contracts_commitment_for(market, model_cid, sha, salt, who, comp_id):
    participant = accounts[who]
    root = hashlib.sha256(model_cid.encode()).digest()
    on_chain = market.commitmentFor(model_cid, bytes.fromhex(sha) if isinstance(sha, str) else sha, ZERO32, salt,
                                    participant, comp_id)
    assert HexBytes(on_chain) == model_commitment(model_cid, sha, salt, participant, comp_id, market.address)
    with_root = market.commitmentFor(model_cid, bytes.fromhex(sha) if isinstance(sha, str) else sha, root, salt,
                                     participant, comp_id)
    assert HexBytes(with_root) == model_commitment(model_cid, sha, salt, participant, comp_id, market.address,
                                                   weights_root=root)


def test_a_test_set_commitment_built_in_python_reveals(market, organizer, competition_in):
    salt = b"\x2a" * 32
    cid, _ = competition_in(Phase.EVALUATION, n=0, test_set=False,
                            commitment=test_set_commitment("QmShapesTestSet", salt))
    tx = market.revealTestSet(cid, "QmShapesTestSet", ZERO32, 0, salt, {"from": organizer})
    assert tx.events["TestSetRevealed"]["testCid"] == "QmShapesTestSet"
    assert market.competition(cid)["testRevealed"]


def test_a_test_set_commitment_with_a_root_reveals(market, organizer, competition_in):
    salt, root = b"\x2b" * 32, b"\x11" * 32
    cid, _ = competition_in(Phase.EVALUATION, n=0, test_set=False,
                            commitment=test_set_commitment("QmShapesTestSet", salt, root, 446))
    with reverts("TestSetMismatch"):
        market.revealTestSet(cid, "QmShapesTestSet", root, 445, salt, {"from": organizer})
    market.revealTestSet(cid, "QmShapesTestSet", root, 446, salt, {"from": organizer})
    assert market.competition(cid)["testRevealed"]


# ------------------------------------------------------------------------------------- scores

def test_score_sentinels_are_the_ends_of_the_contracts_score_type():
    (struct,) = _abi_function("createCompetition")["inputs"]
    min_score = next(c["type"] for c in struct["components"] if c["name"] == "minScore")
    posted = next(i["type"] for i in _abi_function("postScores")["inputs"] if i["name"] == "scores")
    (rank,) = _abi_function("ranking")["outputs"]
    ranked = next(c["type"] for c in rank["components"] if c["name"] == "score")
    assert (min_score, posted, ranked) == ("int64", "int64[]", "int64")
    bits = int(re.fullmatch(r"int(\d+)", min_score).group(1))
    assert (INT64_MIN, INT64_MAX) == (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


@pytest.mark.parametrize("higher", [False, True], ids=["lower-is-better", "higher-is-better"])
def test_a_failure_score_is_recorded_as_failed_and_never_ranked(market, organizer, competition_in, higher):
    cid, (a, b) = competition_in(Phase.EVALUATION, n=2, higher=higher, min_score=any_score_qualifies(higher))
    tx = market.postScores(cid, [a.account, b.account], [failure_score(higher), 0], {"from": organizer})
    assert [ev["score"] for ev in tx.events["ScorePosted"]] == [failure_score(higher), 0]
    assert market.submission(cid, a.account)["status"] == Status.FAILED
    assert market.competition(cid)["failedCount"] == 1
    assert [r["participant"] for r in market.ranking(cid)] == [b.account]


# ------------------------------------------------------------------------------------- revert messages

def _sample(abi_type: str) -> str:
    """A plausible argument of this type, as brownie prints it in a revert message."""
    if re.fullmatch(r"uint\d*", abi_type):
        return "1700000000"  # reads as an id, an amount or a timestamp (a `{n:t}` deadline)
    if re.fullmatch(r"int\d*", abi_type):
        return "-5"
    samples = {"address": "0x" + "ab" * 20, "bool": "True", "bytes32": "0x" + "11" * 32, "string": "QmX"}
    if abi_type not in samples:
        pytest.fail(f"no sample value for an error argument of type {abi_type}: add one to _sample")
    return samples[abi_type]


def test_every_error_of_the_contract_has_a_message():
    missing = {name: [i["type"] for i in inputs] for name, inputs in ABI_ERRORS.items() if name not in ERROR_TEXT}
    assert not missing, f"add a message for each of these (name: argument types) to ERROR_TEXT: {missing}"


def test_every_message_is_for_an_error_of_the_contract():
    assert sorted(set(ERROR_TEXT) - set(ABI_ERRORS)) == []


def test_explain_revert_fills_every_placeholder_from_the_errors_arguments():
    unfilled = {}
    for name in ERROR_TEXT.keys() & ABI_ERRORS.keys():
        message = f"{name}: " + ", ".join(_sample(i["type"]) for i in ABI_ERRORS[name])  # brownie's format
        text = explain_revert(message)
        if text == message or "?" in text or re.search(r"\{\d+", text):
            unfilled[name] = text
    assert unfilled == {}


def test_a_real_revert_is_explained_as_its_message(market, competition_in, players):
    cid, _ = competition_in(Phase.REVEAL, n=0)
    p = players(cid, 1)[0]
    sub = market.competition(cid)["submissionEnd"]
    with pytest.raises(ChainError) as closed:
        transact(market.commit, cid, p.commitment, sender=p.account)
    assert str(closed.value) == explain_revert(f"SubmissionClosed: {cid}, {sub}")
    with pytest.raises(ChainError) as uncommitted:
        transact(market.reveal, cid, p.cid, p.sha, p.salt, sender=p.account)
    assert str(uncommitted.value) == explain_revert(f"NoCommitment: {cid}, {p.account.address.lower()}")


def test_the_committed_dispute_game_abi_is_the_compiled_one():
    root = Path(__file__).resolve().parents[2]
    committed = json.loads((root / "abi" / "DisputeGame.json").read_text())
    compiled = json.loads((root / "build" / "contracts" / "DisputeGame.json").read_text())["abi"]
    key = lambda item: json.dumps(item, sort_keys=True)  # noqa: E731
    assert sorted(map(key, committed)) == sorted(map(key, compiled)), (
        "abi/DisputeGame.json is stale: copy the 'abi' of build/contracts/DisputeGame.json into it")
