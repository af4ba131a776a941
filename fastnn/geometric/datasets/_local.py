"""What the file-reading datasets share: finding their raw files under root/raw or root (nothing is
downloaded), and turning a list of field dicts into Data objects."""
import os

from ..data import Data


def raw_folder(root, files, name, source=""):
    """The first of root/raw and root that holds every file in `files`; `source` says where they come from."""
    root = os.fspath(root)
    for folder in (os.path.join(root, "raw"), root):
        if all(os.path.exists(os.path.join(folder, f)) for f in files):
            return folder
    source = f" ({source})" if source else ""
    raise FileNotFoundError(f"{name}: {', '.join(files)} not found under {root} (or {root}/raw){source}; "
                            "fastnn does not download")


def graphs_from_dicts(items, path, name, item="graph"):
    """One Data per dict of fields, as PyG's pre-processed .pt files hold them."""
    graphs = []
    for i, fields in enumerate(items):
        if not isinstance(fields, dict):
            raise ValueError(f"{name}: {item} {i} of {path} is a {type(fields).__name__}, not a dict")
        graphs.append(Data(**fields))
    return graphs
