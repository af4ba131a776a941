"""Atomic file writes: a crash, a kill or a full disk mid-save leaves the old checkpoint whole.

The data goes to a temporary file beside the target, is flushed to disk, and then renamed over
it. The temporary's name carries the host name and the process id, so a later save can remove
the leftovers of a killed process of *this* host only; on shared storage another host's save
in progress is never touched.
"""
import os
import re
import socket
import tempfile

TMP_SUFFIX = ".fastnn-tmp"


def _host():
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname() or "localhost")


def _proc_umask():
    """The umask as Linux reports it in /proc/self/status (kernel >= 4.7), or None."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return None


def _umask_by_setting():
    # only where /proc cannot tell: at fastnn's import, before a program usually starts threads
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def current_umask():
    """The process umask, read without changing it; where /proc cannot tell, the value at import."""
    mask = _proc_umask()
    return _UMASK_AT_IMPORT if mask is None else mask


_UMASK_AT_IMPORT = 0o022 if _proc_umask() is not None else _umask_by_setting()


def _file_mode(path):
    """The mode of the file being replaced, or the mode open() would give a new one (0666 less the umask)."""
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        return 0o666 & ~current_umask()


def write_atomic(path, payload):
    """Write payload to path atomically. A symlink at path stays; its target gets the new data."""
    target = os.path.realpath(path) if os.path.islink(path) else os.path.abspath(path)
    folder, name = os.path.split(target)
    remove_orphans(folder, name)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.{_host()}.{os.getpid()}.", suffix=TMP_SUFFIX, dir=folder)
    try:
        os.chmod(tmp, _file_mode(target))  # mkstemp makes 0600; a checkpoint gets an ordinary file's mode
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
        _fsync_folder(folder)  # the rename itself reaches the disk
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def remove_orphans(folder, name):
    """Delete temporaries that saves of `name` on this host left when their process died mid-write."""
    prefix, host = f".{name}.", _host()
    for entry in os.listdir(folder):
        if not (entry.startswith(prefix) and entry.endswith(TMP_SUFFIX)):
            continue
        parts = entry[len(prefix):-len(TMP_SUFFIX)].rsplit(".", 2)  # host (may hold dots), pid, random
        if len(parts) != 3 or parts[0] != host or not parts[1].isdigit() or _alive(int(parts[1])):
            continue
        try:
            os.unlink(os.path.join(folder, entry))
        except OSError:
            pass


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but is not ours to signal
        return True
    return True


def _fsync_folder(folder):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms cannot open a folder; the rename is still atomic there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
