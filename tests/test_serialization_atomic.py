"""save() to a path: the umask is read, never set; symlinks are written through; temporaries carry
host and pid, and only this host's dead saves' leftovers are removed (issue 22)."""
import os
import stat
import subprocess
import sys

import pytest

import fastnn
from fastnn.serialization import _atomic


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield 0o027
    os.umask(old)


def test_save_never_sets_the_umask(tmp_path, monkeypatch, umask_027):
    calls = []
    monkeypatch.setattr(os, "umask", lambda mask: calls.append(mask) or 0o022)
    fastnn.save({"w": fastnn.ones(2)}, tmp_path / "new.pt")  # a new file: its mode comes from the umask
    assert calls == []  # setting it (even briefly) would give other threads' new files the wrong mode
    assert stat.S_IMODE(os.stat(tmp_path / "new.pt").st_mode) == 0o640


def test_umask_without_proc(tmp_path, monkeypatch, umask_027):
    def no_proc(*args, **kwargs):
        raise OSError("no /proc here")

    monkeypatch.setattr(_atomic, "open", no_proc, raising=False)
    monkeypatch.setattr(_atomic, "_UMASK_AT_IMPORT", 0o077)
    assert _atomic.current_umask() == 0o077  # the value read once, at import
    monkeypatch.undo()
    assert _atomic.current_umask() == 0o027


def test_replacing_keeps_the_files_mode(tmp_path):
    path = tmp_path / "c.pt"
    fastnn.save({"w": fastnn.ones(2)}, path)
    os.chmod(path, 0o604)
    fastnn.save({"w": fastnn.zeros(2)}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o604


def test_symlink_is_written_through(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    target = store / "real.pt"
    fastnn.save({"w": fastnn.ones(2)}, target)
    link = tmp_path / "latest.pt"
    link.symlink_to(target)
    fastnn.save({"w": fastnn.zeros(3)}, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert fastnn.load(target)["w"].tolist() == [0.0, 0.0, 0.0]
    assert sorted(os.listdir(store)) == ["real.pt"] and sorted(os.listdir(tmp_path)) == ["latest.pt", "store"]
    dangling = tmp_path / "next.pt"
    dangling.symlink_to(store / "made.pt")
    fastnn.save({"w": fastnn.ones(1)}, dangling)
    assert dangling.is_symlink() and fastnn.load(store / "made.pt")["w"].tolist() == [1.0]


def test_temporary_name_has_host_and_pid(tmp_path, monkeypatch):
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append(os.path.basename(src))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    fastnn.save({"w": fastnn.ones(2)}, tmp_path / "c.pt")
    (name,) = seen
    assert name.startswith(f".c.pt.{_atomic._host()}.{os.getpid()}.") and name.endswith(".fastnn-tmp")


def _dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_cleanup_removes_only_this_hosts_dead_temporaries(tmp_path):
    host, dead = _atomic._host(), _dead_pid()
    mine_dead = tmp_path / f".c.pt.{host}.{dead}.abc123.fastnn-tmp"
    mine_alive = tmp_path / f".c.pt.{host}.{os.getpid()}.def456.fastnn-tmp"
    other_host = tmp_path / f".c.pt.otherhost.{dead}.ghi789.fastnn-tmp"
    dotted_host = tmp_path / f".c.pt.node7.cluster.example.{dead}.jkl000.fastnn-tmp"
    other_file = tmp_path / f".d.pt.{host}.{dead}.mno111.fastnn-tmp"
    for p in (mine_dead, mine_alive, other_host, dotted_host, other_file):
        p.write_bytes(b"partial")
    fastnn.save({"w": fastnn.ones(2)}, tmp_path / "c.pt")
    assert not mine_dead.exists()
    assert mine_alive.exists() and other_host.exists() and dotted_host.exists() and other_file.exists()


@pytest.mark.skipif(_atomic._proc_umask() is None, reason="no /proc/self/status Umask line here")
def test_import_does_not_set_the_umask_where_proc_tells_it(tmp_path):
    code = ("import os; calls = []; real = os.umask\n"
            "os.umask = lambda mask: calls.append(mask) or real(mask)\n"
            "import fastnn, fastnn.serialization; print(calls)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out
