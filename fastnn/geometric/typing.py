"""torch_geometric.typing's feature flags: which optional PyG extension libraries are present (none are
used by fastnn.geometric, so PyG code takes its plain-PyTorch paths)."""
WITH_PYG_LIB = False
WITH_TORCH_SPARSE = False
WITH_TORCH_SCATTER = False
WITH_TORCH_CLUSTER = False
WITH_TORCH_SPLINE_CONV = False
WITH_SPLINE = False
WITH_METIS = False
WITH_SAMPLED_OP = False
WITH_INDEX_SORT = False
WITH_PT20 = True
