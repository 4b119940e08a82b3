"""forecast_market: the application that joins the contract, ``ml_models`` and ``ipfs_store``.

Where things are:

- :mod:`.stages`: the five stages, one module each (preprocessing, initialization, submission,
  evaluation, final);
- :mod:`.protocol`: the shapes the contract and every client share (enums, parameters,
  commitments, score scale and sentinels, scoring limits);
- :mod:`.chain`: connecting, accounts, the deployed market, events, transactions and their
  revert messages, a local chain's clock;
- :mod:`.artifacts` (IPFS in and out), :mod:`.keystore` (salts), :mod:`.scoring` (scoring what
  was revealed), :mod:`.audit` (``verify``), :mod:`.status`, :mod:`.plots`, :mod:`.settings`,
  :mod:`.errors`;
- :mod:`.cli`: the ``market`` command; :mod:`.demo`: the whole competition in one run.
"""
__version__ = "0.1.0"
