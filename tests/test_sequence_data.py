"""Bundled sequence data (Shakespeare, sunspots, airline passengers) and its helpers."""
import filecmp
import gzip
import os

import numpy as np
import pytest

import fastnn
from fastnn.data import CharVocab, load_airline_passengers, load_sunspots, load_text, sliding_windows
from fastnn.data.sequences import FILES

SHARED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "data")


@pytest.fixture(scope="module")
def shakespeare():
    return load_text()


# ---------------------------------------------------------------- bundled text

def test_bundled_text_matches_data_readme_figures(shakespeare):
    # data README: "4.47 M characters, 71 distinct"
    assert isinstance(shakespeare, str)
    assert round(len(shakespeare) / 1e6, 2) == 4.47
    assert len(shakespeare) == 4474074
    assert len(set(shakespeare)) == 71


def test_bundled_text_first_lines(shakespeare):
    lines = shakespeare.split("\n")
    assert lines[:3] == ["Theseus:", "Now, fair Hippolyta, our nuptial hour", "Draws on apace; four happy days bring in"]
    assert "\u2014" in shakespeare  # the em dash: the text was decoded as UTF-8, not bytes/latin-1


@pytest.mark.parametrize("name", ["text/shakespeare.txt.gz", "timeseries/sunspots_yearly.csv",
                                  "timeseries/airline_passengers.csv"])
def test_bundled_files_are_exact_copies(name):
    src = os.path.join(SHARED, name)
    if not os.path.exists(src):
        pytest.skip("shared data folder not available")
    assert filecmp.cmp(src, os.path.join(FILES, os.path.basename(name)), shallow=False)


# ---------------------------------------------------------------- CharVocab

def test_vocab_of_bundled_text(shakespeare):
    vocab = CharVocab(shakespeare)
    assert len(vocab) == 71
    assert vocab.chars == sorted(set(shakespeare))
    assert vocab.chars[0] == "\n" and vocab.chars[1] == " " and vocab.chars[-1] == "\u2014"
    head = shakespeare[:2000]
    ids = vocab.encode(head)
    assert ids.dtype == np.int64 and ids.shape == (2000,)
    assert vocab.decode(ids) == head


def test_vocab_encode_decode_small():
    vocab = CharVocab("hello world")
    assert vocab.chars == [" ", "d", "e", "h", "l", "o", "r", "w"]
    assert len(vocab) == 8
    ids = vocab.encode("hold")
    np.testing.assert_array_equal(ids, [3, 5, 4, 1])
    assert ids.dtype == np.int64
    assert vocab.encode("").shape == (0,)
    assert vocab.decode([3, 5, 4, 1]) == "hold"
    assert vocab.decode(np.array([[7, 5], [6, 4]])) == "wor" + "l"
    assert vocab.decode(fastnn.tensor(np.array([2, 0, 1], dtype=np.int64))) == "e d"
    assert vocab.decode([]) == ""


def test_vocab_unknown_character_names_it():
    vocab = CharVocab("abc")
    with pytest.raises(ValueError, match="'z'"):
        vocab.encode("abzc")
    # a character sorting after every vocabulary character, and one before
    with pytest.raises(ValueError, match="unknown"):
        vocab.encode("\u2014")
    with pytest.raises(ValueError, match="unknown"):
        vocab.encode("A")


def test_vocab_decode_out_of_range():
    vocab = CharVocab("abc")
    with pytest.raises(ValueError, match="3"):
        vocab.decode([0, 3])
    with pytest.raises(ValueError, match="-1"):
        vocab.decode([-1])


# ---------------------------------------------------------------- load_text from a path

def test_load_text_plain_file(tmp_path):
    p = tmp_path / "t.txt"
    p.write_bytes("To be, or not \u2014 to be\n".encode("utf-8"))
    assert load_text(p) == "To be, or not \u2014 to be\n"
    assert load_text(str(p)) == "To be, or not \u2014 to be\n"


def test_load_text_gz_file(tmp_path):
    p = tmp_path / "t.txt.gz"
    with gzip.open(p, "wb") as f:
        f.write("Friends, Romans\u2014countrymen\n".encode("utf-8"))
    assert load_text(p) == "Friends, Romans\u2014countrymen\n"


def test_load_text_missing_file_names_path(tmp_path):
    p = tmp_path / "nope.txt"
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        load_text(p)


def test_load_text_undecodable_file_names_path(tmp_path):
    p = tmp_path / "latin1.txt"
    p.write_bytes("caf\u00e9".encode("latin-1"))
    with pytest.raises(ValueError, match="latin1.txt"):
        load_text(p)


# ---------------------------------------------------------------- time series

def test_sunspots():
    years, values = load_sunspots()
    assert years.dtype == np.int64 and values.dtype == np.float64
    assert years.shape == values.shape == (309,)
    np.testing.assert_array_equal(years, np.arange(1700, 2009))
    # rows read from sunspots_yearly.csv
    assert values[0] == 5.0 and values[1] == 11.0
    assert values[years == 1948][0] == 136.3
    assert values[years == 1950][0] == 83.9
    assert values[-2] == 7.5 and values[-1] == 2.9


def test_airline_passengers():
    months, values = load_airline_passengers()
    assert isinstance(months, list) and len(months) == 144
    assert values.dtype == np.float64 and values.shape == (144,)
    assert months[0] == "1949-01" and months[-1] == "1960-12"
    assert months[59] == "1953-12"
    # rows read from airline_passengers.csv
    assert values[0] == 112.0 and values[1] == 118.0
    assert values[59] == 201.0
    assert values[-2] == 390.0 and values[-1] == 432.0


# ---------------------------------------------------------------- sliding_windows

def test_sliding_windows_hand_computed():
    X, y = sliding_windows(np.array([1.0, 2.0, 4.0, 8.0, 16.0]), 3)
    np.testing.assert_array_equal(X, [[1, 2, 4], [2, 4, 8]])
    np.testing.assert_array_equal(y, [8, 16])
    assert X.shape == (2, 3) and y.shape == (2,)
    assert X.dtype.kind == "f" and y.dtype.kind == "f"

    X, y = sliding_windows([10, 20, 30], 1)  # ints become floats
    np.testing.assert_array_equal(X, [[10], [20]])
    np.testing.assert_array_equal(y, [20, 30])
    assert X.dtype == np.float64

    X, y = sliding_windows(np.array([1.0, 2.0, 3.0]), 2)  # largest allowed window
    np.testing.assert_array_equal(X, [[1, 2]])
    np.testing.assert_array_equal(y, [3])


def test_sliding_windows_returns_independent_arrays():
    s = np.array([1.0, 2.0, 3.0, 4.0])
    X, y = sliding_windows(s, 2)
    X[0, 0] = 99.0
    y[0] = 99.0
    np.testing.assert_array_equal(s, [1, 2, 3, 4])
    assert X[1, 0] == 2.0


@pytest.mark.parametrize("window", [0, -1, 5, 6])
def test_sliding_windows_bad_window(window):
    with pytest.raises(ValueError, match=rf"window={window}\b"):
        sliding_windows(np.arange(5.0), window)
