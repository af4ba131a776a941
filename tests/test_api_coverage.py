"""How much of PyTorch's public API fastnn has, namespace by namespace (tools/compat_page.py counts).

Prints the table (run with -s to see it) and asserts no namespace falls below the counts recorded
here: names may be added, never lost. Raise the floors when coverage grows.
"""
import importlib.util
import os

import pytest

torch = pytest.importorskip("torch")

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# supported names per namespace when these floors were last raised (torch 2.13)
FLOORS = {
    "torch.nn modules": 163,
    "torch.nn.functional": 130,
    "torch.Tensor methods": 524,
    "torch.* functions": 506,
    "torch.optim optimizers": 16,
    "torch.optim.lr_scheduler": 16,
    "torch.nn.init": 26,
    "torch.utils.data": 29,
    "torch.linalg": 40,
}


def _tool():
    spec = importlib.util.spec_from_file_location("compat_page", os.path.join(_ROOT, "tools", "compat_page.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_api_coverage_does_not_regress():
    tool = _tool()
    counts = tool.count(torch)
    print("\n" + tool.table(counts))
    low = {k: (len(counts[k]["supported"]), floor) for k, floor in FLOORS.items()
           if len(counts[k]["supported"]) < floor}
    assert not low, f"coverage fell below the recorded floors (now, floor): {low}\n{tool.table(counts)}"


def test_not_applicable_names_are_not_counted_as_missing():
    tool = _tool()
    counts = tool.count(torch)
    tensor = counts["torch.Tensor methods"]
    assert "q_scale" in tensor["na"] and "to_mkldnn" in tensor["na"]
    assert "q_scale" not in tensor["missing"] and "cuda" in tensor["supported"]  # Tensor.cuda raises clearly
    assert tool.not_applicable("add") is None


def test_compatibility_page_lists_every_name(tmp_path):
    tool = _tool()
    counts = tool.count(torch)
    text = tool.page(counts, torch.__version__)
    for title, r in counts.items():
        assert f"## `{title}`" in text
        for name in r["missing"][:5] + r["supported"][:5]:
            assert f"`{name}`" in text


def test_every_supported_op_has_an_op_table_row():
    """Issue 25: every supported torch.*, Tensor and torch.linalg name has a row in tests/ops/op_db*.py, so
    the one op-table test compares it with PyTorch. A name added to fastnn without a row fails here."""
    tool = _tool()
    counts = tool.count(torch)
    tested = tool.op_table_names(_ROOT)
    assert tested, "the op table (tests/ops/op_db.py) did not import"
    rowless = {title: tool.untested(counts[title]["supported"], tested) for title in tool.ROW_NAMESPACES}
    rowless = {title: names for title, names in rowless.items() if names}
    assert not rowless, f"supported names without an op-table row (add rows in tests/ops/op_db_*.py): {rowless}"
