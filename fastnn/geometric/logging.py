"""torch_geometric.logging.log: print one line of `key: value` pairs (ints as 3 digits, floats with 4 decimals)."""


def log(**kwargs):
    def fmt(value):
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:03d}"
        return f"{value:.4f}" if isinstance(value, float) else str(value)
    print(", ".join(f"{key}: {fmt(value)}" for key, value in kwargs.items()))
