"""Real sequence data bundled with the package, for the recurrent models.

* ``load_text`` -- the Shakespeare corpus (public-domain plays, 4.47 M characters),
  or any plain / gzipped UTF-8 text file.
* ``CharVocab`` -- character-level vocabulary: text <-> int64 ids.
* ``load_sunspots`` -- yearly sunspot numbers 1700-2008 (SIDC, public domain).
* ``load_airline_passengers`` -- monthly airline passengers 1949-1960 (Box & Jenkins).
* ``sliding_windows`` -- (X, y) pairs for one-step forecasting of a series.
"""
import csv
import gzip
import numbers
import os

import numpy as np

FILES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "files")

_GZIP_MAGIC = b"\x1f\x8b"


def load_text(path=None):
    """The text of ``path`` (plain or gzipped UTF-8) as a str; the bundled Shakespeare when ``path`` is None.

    Gzip is recognised by the file's magic bytes, not by its name. A UTF-8 byte-order mark is dropped;
    line endings are kept as they are in the file.
    """
    if path is None:
        path = os.path.join(FILES, "shakespeare.txt.gz")
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load_text: no such file: {path!r}")
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise ValueError(f"load_text: {path!r} looks gzipped but cannot be decompressed: {e}") from e
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValueError(f"load_text: {path!r} is not UTF-8 text: {e}") from e


def _as_numpy(x):
    """ndarray view of a list, ndarray or Tensor-like object with ``.numpy()``."""
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        x = x.numpy()
    return np.asarray(x)


class CharVocab:
    """Character vocabulary built from a string: the sorted distinct characters, id = position."""

    def __init__(self, text):
        if not isinstance(text, str):
            raise TypeError(f"CharVocab: text must be a str, got {type(text).__name__}")
        if not text:
            raise ValueError("CharVocab: text is empty")
        self.chars = sorted(set(text))
        self._codes = np.array([ord(c) for c in self.chars], dtype=np.uint32)  # sorted, for searchsorted
        self._table = np.array(self.chars, dtype="<U1")
        self._index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    def __repr__(self):
        return f"CharVocab({len(self)} chars)"

    def encode(self, text):
        """int64 ids of the characters of ``text``; ValueError naming the first unknown character."""
        if not isinstance(text, str):
            raise TypeError(f"CharVocab.encode: expected a str, got {type(text).__name__}")
        if not text:
            return np.zeros(0, dtype=np.int64)
        codes = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
        ids = np.searchsorted(self._codes, codes)
        ids_clipped = np.minimum(ids, len(self._codes) - 1)
        bad = self._codes[ids_clipped] != codes
        if bad.any():
            pos = int(np.argmax(bad))
            raise ValueError(f"CharVocab.encode: unknown character {text[pos]!r} at position {pos}")
        return ids.astype(np.int64)

    def decode(self, ids):
        """The string of the ids (list, ndarray or Tensor-like with ``.numpy()``); ValueError on an out-of-range id."""
        arr = _as_numpy(ids)
        if arr.size == 0:
            return ""
        if arr.dtype.kind == "f":
            if not np.all(arr == np.round(arr)):
                raise ValueError("CharVocab.decode: ids must be whole numbers")
        elif arr.dtype.kind not in "iub":
            raise ValueError(f"CharVocab.decode: ids must be integers, got dtype {arr.dtype}")
        arr = arr.reshape(-1)
        bad = (arr < 0) | (arr >= len(self))
        if bad.any():
            raise ValueError(
                f"CharVocab.decode: id {arr[np.argmax(bad)]!r} out of range for a vocabulary of {len(self)}")
        return "".join(self._table[arr.astype(np.int64)].tolist())


def _read_csv(name, header):
    path = os.path.join(FILES, name)
    with open(path, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f) if r]
    if not rows or [h.strip() for h in rows[0]] != header:
        raise ValueError(f"{path}: expected header {header}, got {rows[0] if rows else None}")
    return path, rows[1:]


def load_sunspots():
    """Yearly sunspot numbers: (years int64 (309,) 1700..2008, values float64 (309,))."""
    path, rows = _read_csv("sunspots_yearly.csv", ["YEAR", "SUNACTIVITY"])
    years = np.array([int(float(r[0])) for r in rows], dtype=np.int64)
    values = np.array([float(r[1]) for r in rows], dtype=np.float64)
    return years, values


def load_airline_passengers():
    """Monthly airline passengers (thousands): (months list of 'YYYY-MM' (144), values float64 (144,))."""
    path, rows = _read_csv("airline_passengers.csv", ["month", "passengers"])
    months = [r[0].strip() for r in rows]
    values = np.array([float(r[1]) for r in rows], dtype=np.float64)
    return months, values


def sliding_windows(series, window):
    """One-step forecasting pairs: X (N, window), y (N,) with X[i] = series[i:i+window], y[i] = series[i+window].

    N = len(series) - window. Float input keeps its dtype; anything else becomes float64.
    """
    s = _as_numpy(series)
    if s.ndim != 1:
        raise ValueError(f"sliding_windows: series must be 1-D, got shape {s.shape}")
    if s.dtype.kind != "f":
        s = s.astype(np.float64)
    if isinstance(window, bool) or not isinstance(window, numbers.Integral):
        raise TypeError(f"sliding_windows: window must be an int, got {window!r}")
    window = int(window)
    if window < 1 or window >= len(s):
        raise ValueError(f"sliding_windows: window must be in [1, {len(s) - 1}] for a series of length "
                         f"{len(s)}, got window={window}")
    X = np.lib.stride_tricks.sliding_window_view(s[:-1], window).copy()
    y = s[window:].copy()
    return X, y
