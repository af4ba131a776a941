"""PNG pictures for `fastnn zoo --plot` (matplotlib, an optional extra)."""


def matplotlib_available():
    """Whether pictures can be drawn; checked before a run so it never trains for nothing."""
    try:
        _pyplot()
    except RuntimeError:
        return False
    return True


def _pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise RuntimeError("--plot needs matplotlib: pip install 'fastnn[plot]'") from None
    return plt


def plot_curves(path, curves, title, xlabel="epoch", ylabel="loss", held_out=None, held_out_label=None):
    """Save named curves ({label: values}) as a line plot, one point per whole epoch.

    held_out ({label: values}) is drawn against a second y axis on the right (a held-out
    metric such as test accuracy beside the training loss).
    """
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, values in curves.items():
        ax.plot(range(1, len(values) + 1), values, marker=".", label=label)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    handles, labels = ax.get_legend_handles_labels()
    if held_out:
        right = ax.twinx()
        for label, values in held_out.items():
            right.plot(range(1, len(values) + 1), values, marker="s", color="tab:red", label=label)
        right.set_ylabel(held_out_label or ", ".join(held_out))
        more_handles, more_labels = right.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    ax.legend(handles, labels, loc="center right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_image_rows(path, rows, row_labels, titles=None, suptitle=""):
    """Save a grid of grey images: rows is a list of equally long lists of 2-D arrays."""
    plt = _pyplot()
    n = len(rows[0])
    fig, axes = plt.subplots(len(rows), n, figsize=(1.2 * n, 1.3 * len(rows) + 0.4), squeeze=False)
    for r, images in enumerate(rows):
        for c, image in enumerate(images):
            ax = axes[r][c]
            ax.imshow(image, cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if titles is not None and r == 0:
                ax.set_title(titles[c], fontsize=8)
        axes[r][0].set_ylabel(row_labels[r], fontsize=8)
    fig.suptitle(suptitle)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_series(path, x, series, title, xlabel="year"):
    """Save named series ({label: values}) against the shared x values."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, values in series.items():
        ax.plot(x, values, marker=".", label=label)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
