"""fastnn.data: real datasets that work offline, beside fastnn.utils.data's loaders."""
from ..utils.data import (Dataset, TensorDataset, DataLoader, Subset, ConcatDataset, random_split, default_collate,
                          default_convert, IterableDataset, ChainDataset, StackDataset, Sampler, SequentialSampler,
                          RandomSampler, SubsetRandomSampler, WeightedRandomSampler, BatchSampler, DistributedSampler,
                          get_worker_info)
from .bundled import load_iris, load_digits
from .split import stratified_split
from .mnist import MNIST
from .sequences import load_text, CharVocab, load_sunspots, load_airline_passengers, sliding_windows
from .graphs import Planetoid, NormalizeFeatures, GraphData, karate_club
