"""Importing an unbuilt source folder fails with one line saying what happened and what to do."""
import shutil
import subprocess
import sys
from pathlib import Path

import fastnn


def test_unbuilt_source_folder_explains_itself(tmp_path):
    source = Path(fastnn.__file__).parent
    shutil.copytree(source, tmp_path / "fastnn", ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__", "files"))
    # drop an editable install's finder, which would supply the compiled modules from the checkout
    script = ("import sys; sys.meta_path[:] = [f for f in sys.meta_path if 'Editable' not in "
              "getattr(f, '__name__', type(f).__name__)]; import fastnn")
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode != 0
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: fastnn in ") and "no compiled extensions" in last, out.stderr
    assert "pip install -e ." in last
