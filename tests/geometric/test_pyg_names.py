"""The torch_geometric names that PyG's own example scripts use most (3 or more scripts, from the census),
which fastnn.geometric provides under the mapping torch_geometric -> fastnn.geometric: each must resolve,
and each name that PyG itself has is the same kind of object (class, function, module or value)."""
import importlib
import inspect

import pytest

PROVIDED = """
transforms loader.DataLoader datasets.Planetoid nn.SAGEConv nn.GCNConv transforms.NormalizeFeatures
transforms.Compose nn.MLP loader.NeighborLoader datasets.TUDataset transforms.ToUndirected nn.global_mean_pool
is_xpu_available transforms.RandomLinkSplit nn.GATConv transforms.ToSparseTensor nn.global_add_pool datasets.Reddit
utils.scatter transforms.NormalizeScale typing.WITH_PYG_LIB nn.Linear datasets.PPI nn.GINConv seed_everything
nn.global_max_pool loader.LinkNeighborLoader transforms.ToDevice transforms.GCNNorm data.Batch nn.BatchNorm
transforms.Cartesian data.Data data.Batch.from_data_list transforms.SamplePoints datasets.ModelNet nn.GraphSAGE
nn.max_pool nn.max_pool_x utils.degree datasets.ShapeNet.seg_classes.keys transforms.RandomJitter datasets.ShapeNet
datasets.ShapeNet.seg_classes transforms.RandomRotate nn.SplineConv typing.WITH_SPLINE logging.log
transforms.OneHotDegree transforms.Constant nn.GINEConv nn.graclus utils.normalized_cut nn.NNConv nn.models.GAT
nn.knn_interpolate logging.init_wandb typing.WITH_TORCH_SPARSE datasets.Flickr utils.k_hop_subgraph nn.GCN
datasets.MNISTSuperpixels datasets.ZINC datasets.QM9
""".split()


def _resolve(root, dotted):
    parts = [root] + ([p for p in dotted.split(".")] if dotted else [])
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for name in parts[i:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(root)


def _kind(obj):
    return "module" if inspect.ismodule(obj) else "class" if inspect.isclass(obj) else \
        "callable" if callable(obj) else "value"


@pytest.mark.parametrize("name", PROVIDED + [""])
def test_pyg_name_resolves_under_fastnn_geometric(name):
    ours = _resolve("fastnn.geometric", name)
    try:
        theirs = _resolve("torch_geometric", name)
    except (ImportError, AttributeError):
        return
    assert _kind(ours) == _kind(theirs), (name, _kind(ours), _kind(theirs))
