"""A small DCGAN in the style of PyTorch's dcgan example (data: 8x8 blobs)."""
import torch
import torch.backends.cudnn as cudnn
import torch.nn as nn
import torch.optim as optim

cudnn.benchmark = True
nz, ngf, ndf = 8, 8, 8


class Generator(nn.Module):
    def __init__(self):
        super(Generator, self).__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, 1, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self):
        super(Discriminator, self).__init__()
        self.main = nn.Sequential(
            nn.Conv2d(1, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, 1, 4, 1, 0, bias=False), nn.Sigmoid())

    def forward(self, input):
        return self.main(input).view(-1, 1).squeeze(1)


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        torch.nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        torch.nn.init.normal_(m.weight, 1.0, 0.02)
        torch.nn.init.zeros_(m.bias)


def main():
    torch.manual_seed(999)
    yy, xx = torch.meshgrid(torch.arange(8.0), torch.arange(8.0), indexing="ij")
    centres = torch.randint(2, 6, (256, 2)).float()
    real_data = torch.exp(-((yy - centres[:, :1, None]) ** 2 + (xx - centres[:, 1:, None]) ** 2) / 3) * 2 - 1
    real_data = real_data.unsqueeze(1)
    netG, netD = Generator(), Discriminator()
    netG.apply(weights_init)
    netD.apply(weights_init)
    criterion = nn.BCELoss()
    optimizerD = optim.Adam(netD.parameters(), lr=2e-3, betas=(0.5, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=2e-3, betas=(0.5, 0.999))
    d_real = []
    for epoch in range(3):
        for i in range(0, 256, 32):
            real = real_data[i:i + 32]
            netD.zero_grad()
            label = torch.full((real.size(0),), 1.0)
            errD_real = criterion(netD(real), label)
            errD_real.backward()
            noise = torch.randn(real.size(0), nz, 1, 1)
            fake = netG(noise)
            label.fill_(0.0)
            errD_fake = criterion(netD(fake.detach()), label)
            errD_fake.backward()
            optimizerD.step()
            netG.zero_grad()
            label.fill_(1.0)
            errG = criterion(netD(fake), label)
            errG.backward()
            optimizerG.step()
        d_real.append(errD_real.item())
        print(f"[{epoch}/3] Loss_D: {(errD_real + errD_fake).item():.4f} Loss_G: {errG.item():.4f}")
    assert torch.isfinite(fake).all()
    # mean distance of generated images to the nearest real image, relative to noise's
    dist = torch.cdist(fake.detach().view(32, -1), real_data.view(256, -1)).min(1)[0].mean()
    noise_dist = torch.cdist(torch.rand(32, 64) * 2 - 1, real_data.view(256, -1)).min(1)[0].mean()
    print(f"RESULT distance_ratio {(dist / noise_dist).item():.4f}")


if __name__ == "__main__":
    main()
