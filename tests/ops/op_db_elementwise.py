"""Op table rows: elementwise ops (one input, two inputs, ternary)."""
import numpy as np

from .opinfo import OpRow, S, FLOATS, INTS, broadcast_pairs, unary_shapes

ROWS = []

# name -> (low, high) of the domain the samples are drawn from
_UNARY = {
    "exp": (-2, 2), "log": (0.1, 3), "log1p": (-0.5, 3), "sqrt": (0.1, 3), "rsqrt": (0.1, 3), "abs": (-2, 2),
    "sin": (-3, 3), "cos": (-3, 3), "tan": (-1.2, 1.2), "asin": (-0.9, 0.9), "acos": (-0.9, 0.9),
    "atan": (-3, 3), "sinh": (-2, 2), "cosh": (-2, 2), "tanh": (-2, 2), "asinh": (-3, 3), "acosh": (1.1, 3),
    "atanh": (-0.9, 0.9), "exp2": (-2, 2), "expm1": (-2, 2), "log2": (0.1, 3), "log10": (0.1, 3),
    "reciprocal": (0.2, 3), "erf": (-2, 2), "erfc": (-2, 2), "erfinv": (-0.9, 0.9), "lgamma": (0.2, 4),
    "digamma": (0.3, 4), "sigmoid": (-4, 4), "neg": (-2, 2), "square": (-2, 2), "sinc": (-2, 2),
    "deg2rad": (-90, 90), "rad2deg": (-3, 3), "frac": (-3, 3), "relu": (-2, 2),
    "arcsin": (-0.9, 0.9), "arccos": (-0.9, 0.9), "arctan": (-3, 3), "arcsinh": (-3, 3), "arccosh": (1.1, 3),
    "arctanh": (-0.9, 0.9), "absolute": (-2, 2), "negative": (-2, 2),
}
# piecewise constant: no gradient to compare beyond zeros
_STEP = ["floor", "ceil", "trunc", "sign", "sgn", "round", "fix"]
_PREDICATES = ["isnan", "isinf", "isfinite", "isneginf", "isposinf", "signbit", "isreal"]


def _unary_samples(lo, hi):
    return lambda t: unary_shapes(t, low=lo, high=hi)


for _name, (_lo, _hi) in _UNARY.items():
    ROWS.append(OpRow(_name, _unary_samples(_lo, _hi), errors=lambda t: [S("not a tensor")]))
    # integer inputs: float ops compute in the default float dtype, abs/neg/square keep the dtype
    ROWS.append(OpRow(_name, _unary_samples(max(_lo, 1) if _lo > 0 else _lo, _hi + 2), dtypes=INTS,
                      note="int", grad=False))

for _name in _STEP:
    ROWS.append(OpRow(_name, _unary_samples(-3, 3), dtypes=FLOATS + INTS))

for _name in _PREDICATES:
    def _special(t):
        a = t((3, 4))
        if a.dtype.kind == "f":
            a[0, 0], a[1, 1], a[2, 2] = np.nan, np.inf, -np.inf
        return [S(a), S(t(())), S(t((2, 3), strided=True))]
    ROWS.append(OpRow(_name, _special, dtypes=FLOATS + INTS, grad=False))

ROWS += [
    OpRow("nan_to_num", lambda t: [S(np.array([np.nan, np.inf, -np.inf, 1.5], t.dtype)),
                                   S(np.array([np.nan, np.inf, -np.inf, 1.5], t.dtype), nan=2.0, posinf=9.0,
                                     neginf=-9.0)], gradcheck=False),
    OpRow("logit", lambda t: [S(t((3, 4), low=0.1, high=0.9)), S(t((5,), low=0.0, high=1.0), eps=0.05)]),
    OpRow("positive", lambda t: unary_shapes(t)),
    OpRow("bitwise_not", lambda t: [S(t((3, 4))), S(t((2, 3), strided=True))], dtypes=INTS + ("bool",),
          grad=False),
    OpRow("clamp", lambda t: [S(t((3, 4)), -0.5, 0.5), S(t((3, 4)), min=-0.3), S(t((3, 4)), max=0.2),
                              S(t((2, 3), strided=True), -1.0, 1.0), S(t(()), 0.0, 1.0)],
          errors=lambda t: [S(t((3,)))]),
    OpRow("clip", lambda t: [S(t((3, 4)), -0.5, 0.5)]),
]

# ---------------------------------------------------------------- two inputs
_BINARY = {
    "add": (-2, 2), "sub": (-2, 2), "mul": (-2, 2), "div": (0.5, 2), "maximum": (-2, 2), "minimum": (-2, 2),
    "atan2": (-2, 2), "hypot": (0.2, 2), "fmax": (-2, 2), "fmin": (-2, 2), "logaddexp": (-2, 2),
    "logaddexp2": (-2, 2), "xlogy": (0.2, 2), "copysign": (-2, 2), "fmod": (0.5, 3), "remainder": (0.5, 3),
    "pow": (0.5, 2), "multiply": (-2, 2), "subtract": (-2, 2), "divide": (0.5, 2), "true_divide": (0.5, 2),
    "arctan2": (-2, 2),
}
_COMPARE = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal", "less_equal", "not_equal",
            "logical_and", "logical_or", "logical_xor"]

for _name, (_lo, _hi) in _BINARY.items():
    ROWS.append(OpRow(_name, (lambda lo, hi: lambda t: broadcast_pairs(t, low=lo, high=hi) + [
        S(t((3, 4), low=lo, high=hi), 1.5, note="python float"),
        S(t((3, 4), low=lo, high=hi), 2, note="python int")])(_lo, _hi),
        errors=lambda t: [S(t((3, 4)), t((2, 4))), S(t((3,)), "x")]))
    if _name not in ("atan2", "arctan2", "hypot", "logaddexp", "logaddexp2", "xlogy", "copysign"):
        ROWS.append(OpRow(_name, (lambda lo, hi: lambda t: [
            S(t((3, 4), low=1, high=5), t((3, 4), low=1, high=5)),
            S(t((2, 3), low=1, high=5), t((3,), low=1, high=4)),
            S(t((3,), low=1, high=5), 2, note="python int"),
            S(t((3,), low=1, high=5), 2.5, note="python float")])(_lo, _hi), dtypes=INTS, note="int", grad=False))

for _name in _COMPARE:
    ROWS.append(OpRow(_name, lambda t: broadcast_pairs(t, low=-1, high=1) + [S(t((3,)), 0.5)],
                      dtypes=FLOATS + INTS, grad=False))


def _mixed(t):
    """Type promotion across dtypes: uint8 with int64, int with float, 0-d tensors, Python numbers."""
    r = np.random.default_rng(0)
    u8 = r.integers(0, 200, (3, 4)).astype(np.uint8)
    i64 = r.integers(-5, 5, (3, 4))
    i32 = r.integers(1, 5, (4,)).astype(np.int32)
    f32 = r.standard_normal((3, 4)).astype(np.float32)
    f64_0d = np.array(2.5)
    b = r.random((3, 4)) < 0.5
    return [S(u8, i64, note="uint8+int64"), S(i64, f32, note="int+float"), S(i32, i64, note="int32+int64"),
            S(f32, f64_0d, note="float32 with 0-d float64"), S(i64, f64_0d, note="int with 0-d float64"),
            S(u8, 3, note="uint8+int"), S(i32, 2.5, note="int32+float"), S(b, b, note="bool+bool"),
            S(b, 2, note="bool+int"), S(i32, np.array(7, np.int64), note="int32 with 0-d int64")]


for _name in ("add", "sub", "mul", "div", "maximum", "eq", "lt", "atan2", "remainder"):
    ROWS.append(OpRow(_name, _mixed, dtypes=("float32",), grad=False, note="promotion",
                      variants=("function", "method")))

ROWS += [
    OpRow("div", lambda t: [S(t((3, 4), low=-5, high=5), t((3, 4), low=0.5, high=2), rounding_mode="floor"),
                            S(t((3, 4), low=-5, high=5), t((3, 4), low=0.5, high=2), rounding_mode="trunc")],
          dtypes=FLOATS + ("int64",), grad=False, note="rounding_mode"),
    OpRow("floor_divide", lambda t: [S(t((3, 4), low=-5, high=5), t((3, 4), low=1, high=3))],
          dtypes=FLOATS + INTS, grad=False),
    OpRow("lerp", lambda t: [S(t((3, 4)), t((3, 4)), 0.3), S(t((3, 4)), t((4,)), t((3, 1), low=0, high=1))]),
    OpRow("heaviside", lambda t: [S(t((3, 4)), t((4,)))], grad=False),
    OpRow("isclose", lambda t: [S(t((3, 4)), t((3, 4))), S(t((3,)), t((3,)), rtol=10.0)], grad=False),
    OpRow("addcmul", lambda t: [S(t((3, 4)), t((3, 4)), t((4,)), value=0.5)]),
    OpRow("addcdiv", lambda t: [S(t((3, 4)), t((3, 4)), t((4,), low=0.5, high=2), value=0.5)]),
    OpRow("float_power", lambda t: [S(t((3, 4), low=0.5, high=2), t((3, 4)))], grad=False),
    OpRow("bitwise_and", lambda t: [S(t((3, 4)), t((3, 4)))], dtypes=INTS + ("bool",), grad=False),
    OpRow("bitwise_or", lambda t: [S(t((3, 4)), t((4,)))], dtypes=INTS + ("bool",), grad=False),
    OpRow("bitwise_xor", lambda t: [S(t((3, 4)), t((3, 4)))], dtypes=INTS + ("bool",), grad=False),
    OpRow("gcd", lambda t: [S(t((3, 4), low=1, high=30), t((3, 4), low=1, high=30))], dtypes=("int64",),
          grad=False),
    OpRow("lcm", lambda t: [S(t((3, 4), low=1, high=30), t((3, 4), low=1, high=30))], dtypes=("int64",),
          grad=False),
    OpRow("where", lambda t: [S(t.mask((3, 4)), t((3, 4)), t((3, 4))), S(t.mask((3, 1)), t((4,)), t((3, 4)))],
          variants=("function",)),
]
