"""Hogwild training in the style of PyTorch's mnist_hogwild example: two processes update shared parameters."""
import torch
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data.sampler import RandomSampler


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.fc1 = nn.Linear(4, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        return F.log_softmax(self.fc2(F.relu(self.fc1(x))), dim=1)


def make_data(seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(300, 4, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
    return x, y


def train(rank, model, seed):
    torch.manual_seed(seed + rank)
    x, y = make_data(seed)
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    for _ in range(3):
        for idx in torch.split(torch.tensor(list(RandomSampler(range(len(x))))), 32):
            optimizer.zero_grad()
            F.nll_loss(model(x[idx]), y[idx]).backward()
            optimizer.step()


def test_loss(model, seed):
    x, y = make_data(seed + 100)
    with torch.no_grad():
        return F.nll_loss(model(x), y).item()


def main():
    torch.manual_seed(1)
    mp.set_start_method("spawn", force=True)
    model = Net()
    model.share_memory()
    before = test_loss(model, 1)
    processes = []
    for rank in range(2):
        p = mp.Process(target=train, args=(rank, model, 1))
        p.start()
        processes.append(p)
    for p in processes:
        p.join()
        assert p.exitcode == 0, p.exitcode
    after = test_loss(model, 1)
    print(f"RESULT loss_ratio {after / before:.4f}")


if __name__ == "__main__":
    main()
