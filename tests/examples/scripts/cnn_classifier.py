"""A convolutional classifier in the style of PyTorch's MNIST example (data: horizontal vs vertical bars)."""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1)
        self.dropout1 = nn.Dropout2d(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(16 * 4 * 4, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)


def bars(n, rng):
    images = rng.normal(0, 0.3, (n, 1, 12, 12)).astype(np.float32)
    labels = rng.integers(0, 2, n)
    for i, label in enumerate(labels):
        k = rng.integers(2, 10)
        if label:
            images[i, 0, :, k] += 1.5
        else:
            images[i, 0, k, :] += 1.5
    return torch.from_numpy(images), torch.from_numpy(labels)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else torch.device("cpu")
    rng = np.random.default_rng(args.seed)
    train = DataLoader(TensorDataset(*bars(512, rng)), batch_size=32, shuffle=True)
    test = DataLoader(TensorDataset(*bars(256, rng)), batch_size=128)
    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    for epoch in range(1, args.epochs + 1):
        model.train()
        for batch_idx, (data, target) in enumerate(train):
            data, target = data.to(device), target.to(device)
            optimizer.zero_grad()
            loss = F.nll_loss(model(data), target)
            loss.backward()
            optimizer.step()
            if batch_idx % 8 == 0:
                print(f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(train.dataset)}]\tLoss: {loss.item():.6f}")
        scheduler.step()
    model.eval()
    correct = 0
    with torch.no_grad():
        for data, target in test:
            pred = model(data).argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    print(f"RESULT accuracy {correct / len(test.dataset):.4f}")


if __name__ == "__main__":
    main()
