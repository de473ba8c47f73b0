"""Convolutional parts of S-ViT: channel LayerNorm and the residual bottleneck block (as in ViTDet)."""
import torch.nn.functional as F
from torch import Tensor, nn


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an (N, C, H, W) map.

    eps is 1e-6, as in ViTDet and the S-ViT release (its residual blocks and pyramid adapter), so that
    the release's weights give the release's features.
    """

    def __init__(self, num_channels: int, eps: float = 1e-6) -> None:
        super().__init__(num_channels, eps=eps)

    def forward(self, x: Tensor) -> Tensor:
        x = F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class ResBottleneckBlock(nn.Module):
    """x + [1x1 conv, LN, GELU, 3x3 conv, LN, GELU, 1x1 conv, LN](x) on an (N, C, H, W) map.

    The last norm starts at zero, so a new block starts as the identity and keeps a pretrained ViT's
    features intact.

    Args:
        channels: C, in and out channels.
        bottleneck_channels: channels inside the block (ViTDet uses C // 2).
    """

    def __init__(self, channels: int, bottleneck_channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, bottleneck_channels, 1, bias=False)
        self.norm1 = LayerNorm2d(bottleneck_channels)
        self.conv2 = nn.Conv2d(bottleneck_channels, bottleneck_channels, 3, padding=1, bias=False)
        self.norm2 = LayerNorm2d(bottleneck_channels)
        self.conv3 = nn.Conv2d(bottleneck_channels, channels, 1, bias=False)
        self.norm3 = LayerNorm2d(channels)
        self.act = nn.GELU()
        for conv in (self.conv1, self.conv2, self.conv3):
            nn.init.kaiming_normal_(conv.weight, mode='fan_out', nonlinearity='relu')
        nn.init.zeros_(self.norm3.weight)
        nn.init.zeros_(self.norm3.bias)

    def forward(self, x: Tensor) -> Tensor:
        out = self.act(self.norm1(self.conv1(x)))
        out = self.act(self.norm2(self.conv2(out)))
        return x + self.norm3(self.conv3(out))
