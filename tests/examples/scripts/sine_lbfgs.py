"""Sequence prediction with LSTM cells and L-BFGS, in the style of PyTorch's time_sequence_prediction example."""
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim


class Sequence(nn.Module):
    def __init__(self):
        super(Sequence, self).__init__()
        self.lstm1 = nn.LSTMCell(1, 16)
        self.linear = nn.Linear(16, 1)

    def forward(self, input, future=0):
        outputs = []
        h_t = torch.zeros(input.size(0), 16, dtype=torch.double)
        c_t = torch.zeros(input.size(0), 16, dtype=torch.double)
        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            output = self.linear(h_t)
            outputs += [output]
        for _ in range(future):
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            output = self.linear(h_t)
            outputs += [output]
        return torch.cat(outputs, dim=1)


def main():
    np.random.seed(2)
    x = np.array(range(40)) + np.random.randint(-8, 8, 12).reshape(12, 1)
    data = np.sin(x / 4.0).astype("float64")
    path = os.path.join(tempfile.mkdtemp(), "traindata.pt")
    torch.save(data, open(path, "wb"))
    data = torch.load(open(path, "rb"), weights_only=False)
    torch.manual_seed(0)
    input, target = torch.from_numpy(data[3:, :-1]), torch.from_numpy(data[3:, 1:])
    seq = Sequence().double()
    criterion = nn.MSELoss()
    optimizer = optim.LBFGS(seq.parameters(), lr=0.8)
    losses = []
    for i in range(4):
        def closure():
            optimizer.zero_grad()
            loss = criterion(seq(input), target)
            loss.backward()
            return loss
        losses.append(optimizer.step(closure).item())
        print("STEP:", i, "loss:", losses[-1])
    with torch.no_grad():
        pred = seq(torch.from_numpy(data[:3, :-1]), future=5)
        assert pred.shape == (3, 44)
    print(f"RESULT loss_ratio {losses[-1] / losses[0]:.4f}")


if __name__ == "__main__":
    main()
