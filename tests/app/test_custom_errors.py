"""Reverts as web3 reports them on live networks (raw custom-error data) become the same one
line as on the local chain."""
import json
from pathlib import Path

import pytest
from eth_abi import encode
from eth_utils import keccak

from forecast_market.chain import explain_revert
from forecast_market.chain.tx import decode_custom_error

ABI = json.loads((Path(__file__).resolve().parents[2] / "build" / "contracts" / "ForecastMarket.json").read_text())["abi"]
ERRORS = [e for e in ABI if e["type"] == "error"]
SAMPLE = {"uint256": 7, "uint64": 1_700_000_000, "uint32": 3, "address": "0x" + "ab" * 20, "bytes32": b"\x01" * 32,
          "int64": -5, "uint8": 1, "bool": True, "bytes24": b"\x02" * 24}


def encoded(error: dict) -> str:
    types = [i["type"] for i in error["inputs"]]
    selector = keccak(text=f"{error['name']}({','.join(types)})")[:4]
    return "0x" + (selector + encode(types, [SAMPLE[t] for t in types])).hex()


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: e["name"])
def test_every_custom_error_decodes_to_its_message(error):
    text = decode_custom_error(ABI, encoded(error))
    assert text.split(":")[0] == error["name"]
    line = explain_revert(text)
    assert "?" not in line and error["name"] not in line  # a sentence, with every value filled in


@pytest.mark.parametrize("data", ["0x", "0xdeadbeef", "0x" + "00" * 100, b"\x12\x34"])
def test_unknown_revert_data_is_not_guessed(data):
    assert decode_custom_error(ABI, data) is None


class FakeSender:
    address = "0x" + "12" * 20

    def balance(self):
        return 5 * 10**17


def refusing(message: str):
    """A contract method whose node refuses the transaction before running it, as hosted nodes do."""
    class Method:
        def call(self, *args):
            return None

        def __call__(self, *args):
            raise ValueError({"code": -32000, "message": message})

    return Method()


@pytest.mark.parametrize("message, words", [
    ("replacement transaction underpriced", "nonce clash"),
    ("nonce too low: next nonce 8, tx nonce 7", "nonce clash"),
    ("transaction already imported", "nonce clash"),  # anvil, for an identical transaction
    ("max fee per gas less than block base fee: address 0x.., maxFeePerGas: 1 baseFee: 7", "fees moved"),
    ("insufficient funds for gas * price + value", "not enough funds"),
])
def test_node_refusals_are_one_line(message, words):
    from forecast_market.chain import transact
    from forecast_market.errors import ChainError

    with pytest.raises(ChainError, match=words) as info:
        transact(refusing(message), 1, sender=FakeSender(), value=10**18)
    assert "\n" not in str(info.value)


def test_an_unknown_node_refusal_is_not_hidden():
    from forecast_market.chain import transact

    with pytest.raises(ValueError, match="something new"):
        transact(refusing("something new"), sender=FakeSender())


def test_a_nonce_clash_is_sent_again_and_an_identical_transaction_is_not():
    """"replacement transaction underpriced": the node kept the other transaction and refused
    this one, so sending it again (with a fresh nonce) cannot pay twice. An identical transaction
    already in the pool ("already known") is never re-sent."""
    from forecast_market.chain import transact
    from forecast_market.errors import ChainError

    class Flaky:
        def __init__(self, first):
            self.first, self.sent = first, 0

        def call(self, *args):
            return None

        def __call__(self, *args):
            self.sent += 1
            if self.sent == 1:
                raise ValueError({"code": -32000, "message": self.first})
            return "receipt"

    clash = Flaky("replacement transaction underpriced")
    assert transact(clash, 1, sender=FakeSender()) == "receipt" and clash.sent == 2
    twin = Flaky("already known")
    with pytest.raises(ChainError, match="nonce clash"):
        transact(twin, 1, sender=FakeSender())
    assert twin.sent == 1
