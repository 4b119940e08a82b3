"""Fixtures for the integer-inference tests: the Solidity twin deployed on anvil."""

from __future__ import annotations

import pytest
from brownie import FixedPointRNNHarness, accounts


@pytest.fixture(scope="module")
def harness():
    return FixedPointRNNHarness.deploy({"from": accounts[0]})
