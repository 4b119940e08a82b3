"""The five stages of a competition, one module each:

1. :mod:`.preprocessing`  organizer: fetch, clean, split, publish the training data
2. :mod:`.initialization` organizer: escrow the reward, commit to the test set, create on chain
3. :mod:`.submission`     participant: tune, train, publish, commit; then reveal
4. :mod:`.evaluation`     organizer: reveal the test set, score, post, finalize
5. :mod:`.final`          anyone: settle, claim a fallback share, withdraw
"""
from .evaluation import evaluate
from .final import settle
from .initialization import initialize
from .preprocessing import preprocess
from .submission import reveal, submit

__all__ = ["evaluate", "initialize", "preprocess", "reveal", "settle", "submit"]
