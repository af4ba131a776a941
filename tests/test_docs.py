"""The documentation builds with warnings as errors, and every Python block in it runs."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import fastnn

# the folder holding the fastnn under test (the checkout, or site-packages for an installed wheel)
FASTNN_HOME = str(Path(fastnn.__file__).resolve().parents[1])

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
BLOCKS = [(md.relative_to(DOCS).as_posix(), i, code)
          for md in sorted(DOCS.rglob("*.md"))
          for i, code in enumerate(re.findall(r"```python\n(.*?)```", md.read_text(), re.S))]


def test_there_are_blocks_to_run():
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize("page,index,code", BLOCKS, ids=[f"{p}#{i}" for p, i, _ in BLOCKS])
def test_code_block_runs(page, index, code, tmp_path):
    env = dict(os.environ, PYTHONPATH=FASTNN_HOME + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, f"{page} block {index} failed:\n{proc.stderr[-3000:]}"


def test_docs_build_strict(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (tmp_path / "site" / "index.html").exists()
