"""ConvAutoencoder: the classic convolutional autoencoder for digit images."""
from .. import nn


class ConvAutoencoder(nn.Module):
    """3x3 'same' convolutions with 16, 8, 8 channels and 2x2 max-pooling on the way down,
    nearest upsampling on the way up, sigmoid output (train with binary cross-entropy).

    Height and width must be divisible by 4; the code is 8 x H/4 x W/4.
    """

    def __init__(self, channels=1):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(channels, 16, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 8, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 8, 3, padding="same"), nn.ReLU(),
        )
        self.decoder = nn.Sequential(
            nn.Conv2d(8, 8, 3, padding="same"), nn.ReLU(), nn.Upsample(scale_factor=2),
            nn.Conv2d(8, 16, 3, padding="same"), nn.ReLU(), nn.Upsample(scale_factor=2),
            nn.Conv2d(16, channels, 3, padding="same"), nn.Sigmoid(),
        )

    def forward(self, x):
        if x.ndim != 4 or x.shape[2] % 4 or x.shape[3] % 4:
            raise ValueError(f"ConvAutoencoder expects (N, C, H, W) with H and W divisible by 4, got {tuple(x.shape)}")
        return self.decoder(self.encoder(x))
