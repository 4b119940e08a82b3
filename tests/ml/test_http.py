"""The HTTP price client against a real local server (127.0.0.1, in a thread)."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

from ml_models.data import PriceAPIClient, load_series
from ml_models.errors import DataError

DAY_MS = 86_400_000
T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
CANNED = {
    "prices": [[T0 + i * DAY_MS, 100.0 + i] for i in range(5)] + [[T0 + 4 * DAY_MS + 3_600_000, 104.5]],
    "market_caps": [[T0 + i * DAY_MS, 1e9] for i in range(5)],
    "total_volumes": [[T0 + i * DAY_MS, 1000.0 * (i + 1)] for i in range(5)] + [[T0 + 4 * DAY_MS + 3_600_000, 5500.0]],
}


class Server:
    """Serves CANNED; ``plan`` is a list of behaviours for successive requests ("ok", "503", "slow", "404")."""

    def __init__(self, plan: list[str], slow_s: float = 1.0) -> None:
        self.plan, self.slow_s, self.requests = list(plan), slow_s, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.requests.append(self.path)
                what = outer.plan.pop(0) if outer.plan else "ok"
                if what == "slow":
                    time.sleep(outer.slow_s)
                if what in ("503", "404"):
                    self.send_response(int(what))
                    self.end_headers()
                    self.wfile.write(b"nope")
                    return
                body = json.dumps(CANNED).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/api/v3"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_market_chart_parses_prices_and_volumes():
    with Server(["ok"]) as srv:
        df = load_series("coingecko:bitcoin", base_url=srv.url, days=5)
    assert srv.requests[0].startswith("/api/v3/coins/bitcoin/market_chart?")
    assert "vs_currency=usd" in srv.requests[0] and "days=5" in srv.requests[0]
    assert list(df.columns) == ["price", "volume"]
    assert df.index[0] == pd.Timestamp("2024-01-01") and len(df) == 5
    assert df["price"].iloc[-1] == 104.5 and df["volume"].iloc[-1] == 5500.0  # "now" point replaces today's


def test_server_errors_are_retried_with_backoff():
    sleeps: list[float] = []
    with Server(["503", "503", "ok"]) as srv:
        df = PriceAPIClient(srv.url, retries=3, backoff=0.25, sleep=sleeps.append).market_chart("eth")
    assert len(srv.requests) == 3 and sleeps == [0.25, 0.5]
    assert len(df) == 5


def test_a_timeout_is_retried():
    with Server(["slow", "ok"], slow_s=1.5) as srv:
        t = time.monotonic()
        df = PriceAPIClient(srv.url, timeout=0.3, retries=2, backoff=0.01).market_chart("eth")
        elapsed = time.monotonic() - t
    assert len(srv.requests) == 2 and len(df) == 5
    assert elapsed < 1.4  # did not wait for the slow answer


def test_persistent_timeouts_give_a_clear_error():
    with Server(["slow", "slow"], slow_s=1.0) as srv:
        with pytest.raises(DataError, match=r"cannot reach .*/coins/eth/market_chart: timed out after 0.2 s .*after 2 attempt"):
            PriceAPIClient(srv.url, timeout=0.2, retries=1, backoff=0.01).market_chart("eth")


def test_unreachable_server_says_what_to_do_offline():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens on this port now
    with pytest.raises(DataError, match=r"cannot reach http://127.0.0.1:\d+/coins/bitcoin/market_chart: connection failed.*use a local CSV"):
        load_series("coingecko:bitcoin", base_url=f"http://127.0.0.1:{port}", retries=1, backoff=0.01)


def test_client_errors_are_not_retried():
    with Server(["404"]) as srv:
        with pytest.raises(DataError, match="answered HTTP 404.*check the asset name"):
            PriceAPIClient(srv.url, retries=3, backoff=0.01).market_chart("no-such-coin")
    assert len(srv.requests) == 1
