"""`market report`: one self-contained HTML page per competition, rendered by a real headless
chromium (installed by tools/setup.sh), with the leaderboard, the plots inline and the
verification status; nothing fetched from the network; strangers' text escaped."""
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

from brownie import accounts, web3
from click.testing import CliRunner

from forecast_market.chain import competition, mine_at, transact
from forecast_market.cli import main
from forecast_market.protocol import SCORE_SCALE, Phase
from forecast_market.report import Verification, render
from forecast_market.stages import evaluate, reveal, submit

DEPOSIT = web3.to_wei("0.01", "ether")


def rendered_dom(page, tmp_path):
    """The DOM after chromium has parsed and laid out the page (its own profile; no network used)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is not installed: run tools/setup.sh (it installs Debian's chromium)"
    profile = tmp_path / "chromium-profile"
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={profile}",
           "--dump-dom", page.as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=os.environ | {"HOME": str(tmp_path)})
    assert proc.returncode == 0 and "<html" in proc.stdout, proc.stderr[-2000:]
    return proc.stdout


class Tables(HTMLParser):
    """The cells of each table by id, and every <img> src."""

    def __init__(self):
        super().__init__()
        self.tables, self.images, self._table, self._cell = {}, [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id") or attrs.get("class"), [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = ""
        elif tag == "img":
            self.images.append(attrs.get("src", ""))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._table[-1].append(self._cell.strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def parse(dom):
    tables = Tables()
    tables.feed(dom)
    return tables


def test_report_page_renders_the_leaderboard_in_a_browser(market, new_competition, tmp_path):
    cid = new_competition()
    submit(market, accounts[1], cid, "naive", work_dir=tmp_path / "a")
    submit(market, accounts[2], cid, "naive", work_dir=tmp_path / "b")  # a tie: the earlier commit ranks first
    transact(market.commit, cid, os.urandom(32), sender=accounts[3], value=DEPOSIT)  # never revealed
    comp = competition(market, cid)
    mine_at(comp["submissionEnd"])
    reveal(market, accounts[1], cid)
    reveal(market, accounts[2], cid)
    mine_at(comp["revealEnd"])
    rows = evaluate(market, accounts[0], cid, work_dir=tmp_path / "org")["rows"]
    assert competition(market, cid)["phase"] == Phase.FINALIZED

    page = tmp_path / "site" / "report.html"
    # Verified by default once the test set is revealed.
    result = CliRunner().invoke(main, ["--market", market.address, "report", str(cid), "--out", str(page),
                                       "--work-dir", str(tmp_path / "verify")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"report: {page}" in result.output
    text = page.read_text()
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", text)  # nothing to fetch: one file

    dom = parse(rendered_dom(page, tmp_path))
    board = dom.tables["leaderboard"]
    assert board[0] == ["rank", "participant", "state", "score", "credited (prize + deposit back)"]
    best, second, forfeit = board[1:]
    assert best[0] == "1" and best[2] == "ranked (prize)" and second[0] == "2"
    assert best[1] == f"{rows[0].participant[:6]}…{rows[0].participant[-4:]}"
    assert float(best[3]) == rows[0].score_int / SCORE_SCALE and float(best[3]) <= float(second[3])
    assert best[4].endswith(" ETH") and float(best[4].split()[0]) > float(second[4].split()[0]) > 0
    assert forfeit[1].startswith(accounts[3].address[:6]) and forfeit[2].startswith("forfeited")
    terms = dict(r for r in dom.tables["terms"] if len(r) == 2)
    assert terms["phase"] == "Finalized" and "passed" in terms["reveals close"]
    assert len(dom.images) == 2 and all(src.startswith("data:image/png;base64,") for src in dom.images)
    assert "Verified: 2/2 posted scores" in text

    quick = tmp_path / "quick.html"  # --no-verify: only what the chain holds
    result = CliRunner().invoke(main, ["--market", market.address, "report", str(cid), "--out", str(quick), "--no-verify"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Not verified for this report" in quick.read_text() and quick.read_text().count("data:image/png") == 1


def test_strangers_text_is_escaped(tmp_path):
    hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    comp = {"id": 7, "phase": Phase.SUBMISSION, "organizer": "0x" + "1" * 40, "reward": 10**18, "entryDeposit": 0,
            "prizeBps": [10_000], "target": hostile, "horizon": 1, "sequenceLength": 4, "higherIsBetter": False,
            "dataCid": hostile, "testCid": "", "submissionEnd": 2, "revealEnd": 3, "evaluationEnd": 4, "market": ""}
    page = tmp_path / "r.html"
    page.write_text(render(comp, "RMSE", [], {}, Verification(), 1, "development"))
    dom = rendered_dom(page, tmp_path)
    assert "<script>alert" not in dom and "<img" not in dom  # shown as text, not run
    assert "Not verified for this report" in dom and "No submission has been scored yet" in dom
