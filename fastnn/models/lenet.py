"""LeNet: the classic two-convolution network for digit images."""
from .. import nn
from ..nn import functional as F


class LeNet(nn.Module):
    """conv 1->20 k5, max-pool 2, conv 20->50 k5, max-pool 2, fc 800->500, fc 500->10, log-softmax.

    ReLU follows each convolution and the first fully connected layer. For 8x8 digits
    (input_size=8) the convolutions are 3x3 with padding 1, so the flattened features
    are 50*2*2 = 200 instead of 50*4*4 = 800.
    """

    def __init__(self, input_size=28, num_classes=10):
        super().__init__()
        if input_size == 28:
            k, pad, flat = 5, 0, 50 * 4 * 4
        elif input_size == 8:
            k, pad, flat = 3, 1, 50 * 2 * 2
        else:
            raise ValueError(f"input_size must be 28 (MNIST) or 8 (UCI digits), got {input_size}")
        self.conv1 = nn.Conv2d(1, 20, k, padding=pad)
        self.conv2 = nn.Conv2d(20, 50, k, padding=pad)
        self.fc1 = nn.Linear(flat, 500)
        self.fc2 = nn.Linear(500, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return F.log_softmax(self.fc2(x), dim=1)
