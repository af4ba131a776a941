"""bfloat16 comes from the optional ml_dtypes package, whose import took half of `import fastnn` (0.49 of
1.0 s): fastnn imports it on first use of bfloat16 only, and the dtype behaves as it did when imported eagerly."""
import subprocess
import sys
import textwrap


def _run(code, folder):
    # (from another folder: in the checkout, its uncompiled source folder would shadow the installed fastnn)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120,
                          cwd=folder)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_float_work_never_imports_ml_dtypes(tmp_path):
    out = _run("""
        import sys
        import numpy as np
        import fastnn
        print("ml_dtypes" in sys.modules)
        x = fastnn.ones(4, 3, requires_grad=True)
        y = (x.double() * 2 + fastnn.arange(3)).sum()   # float promotion, int promotion
        y.backward()
        fastnn.from_numpy(np.zeros(2, np.float16)).is_floating_point()
        fastnn.promote_types(fastnn.float16, fastnn.float32)
        fastnn.finfo(fastnn.float32)
        print("ml_dtypes" in sys.modules)
    """, tmp_path)
    assert out == ["False", "False"]


def test_bfloat16_on_first_use_is_ml_dtypes_bfloat16(tmp_path):
    out = _run("""
        import importlib.util
        import sys
        import numpy as np
        import fastnn
        if importlib.util.find_spec("ml_dtypes") is None:
            print("absent", fastnn.bfloat16)
            raise SystemExit
        b = fastnn.bfloat16
        print(b == np.dtype(sys.modules["ml_dtypes"].bfloat16))
        t = fastnn.ones(3).bfloat16()
        print(t.dtype == b, t.is_floating_point(), t.requires_grad_().requires_grad)
        print(fastnn.promote_types(fastnn.float16, b))
        print(fastnn.finfo(b).eps)
        from fastnn import bfloat16
        print(bfloat16 == b)
    """, tmp_path)
    if out[0] == "absent":
        assert out == ["absent", "None"]
        return
    assert out == ["True", "True", "True", "True", "float32", "0.0078125", "True"]
