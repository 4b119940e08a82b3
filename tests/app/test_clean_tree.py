"""Running the tests leaves the project's tracked tree as it was: no test writes a record, a
key or an artifact into the checkout (they go to temporary folders)."""
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_deployment_record_is_tracked():
    tracked = subprocess.run(["git", "ls-files", "deployments"], cwd=ROOT, capture_output=True, text=True).stdout
    assert tracked.strip() == "", f"a test or a session committed a deployment record: {tracked}"
