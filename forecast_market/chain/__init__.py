"""Chain access: connecting and signing, the deployed market and its records, transactions and
their revert messages, and a local chain's clock. Knows nothing of Keras or IPFS."""
from .clock import advance_past, mine_at, now, set_next_block_time
from .market import (
                     competition,
                     deploy_market,
                     deployment_file,
                     events,
                     get_market,
                     posted_scores,
                     record_deployment,
                     revealed_submissions,
                     submission_status,
)
from .network import connect, get_account, is_local
from .reverts import ERROR_TEXT, explain_revert
from .tx import transact

__all__ = [
    "ERROR_TEXT", "advance_past", "competition", "connect", "deploy_market", "deployment_file", "events",
    "explain_revert", "get_account", "get_market", "is_local", "mine_at", "now", "posted_scores",
    "record_deployment", "revealed_submissions", "set_next_block_time", "submission_status", "transact",
]
