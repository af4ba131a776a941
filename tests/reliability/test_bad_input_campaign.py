"""Runs the hypothesis bad-input campaign (campaign_bad_input.py) in a child process: a crash of the
process is caught here and named by the case that was running, instead of taking the test run down."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bad_input_campaign_raises_clean_errors_and_never_crashes(tmp_path):
    campaign = Path(__file__).with_name("campaign_bad_input.py")
    out = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", "--tb=short",
                          "-o", "addopts=", "--rootdir", str(ROOT), str(campaign)],
                         capture_output=True, text=True, cwd=tmp_path, timeout=1200)
    # (run from an empty folder: `python -m` puts the working folder first on sys.path, and the
    # checkout's unbuilt sources must not shadow the installed fastnn)
    lines = out.stdout.splitlines()
    if out.returncode < 0:  # killed by a signal: a crash inside native code
        running = [l for l in lines if "::" in l and not l.rstrip().endswith(("PASSED", "FAILED", "SKIPPED"))]
        raise AssertionError(f"the campaign crashed (signal {-out.returncode}) in {running[-1:] or lines[-1:]}\n"
                             + out.stderr[-2000:])
    assert out.returncode == 0, "\n".join(lines[-80:])
    passed = sum(1 for l in lines if " PASSED" in l)
    assert passed > 40, "\n".join(lines[-20:])
