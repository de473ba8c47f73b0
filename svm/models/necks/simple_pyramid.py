"""The simple feature pyramid adapter of S-ViT's MOT model (after ViTDet)."""
from typing import Sequence, Tuple

from mmengine.model import BaseModule
from torch import Tensor, nn

from svm.registry import register_shared_model
from ..layers import LayerNorm2d

SCALE_FACTORS = (2.0, 1.0, 0.5)


@register_shared_model
class SimplePyramid(BaseModule):
    """Turn single-scale ViT maps into a pyramid: x2 (transposed conv), x1 (identity), x0.5 (max-pool).

    Input i is resized by ``scale_factors[i]``, then a 1x1 conv to ``out_channels[i]`` and a 3x3 conv,
    each followed by a channel LayerNorm (no bias in the convs).

    Args:
        in_channels: channels of the backbone maps (768 for ViT-B).
        out_channels: channels of the three outputs (the S-ViT MOT release: 384, 768, 1536).
        scale_factors: resize factor of each input, each 2.0, 1.0 or 0.5.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self,
                 in_channels: int = 768,
                 out_channels: Sequence[int] = (384, 768, 1536),
                 scale_factors: Sequence[float] = SCALE_FACTORS,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(out_channels) != len(scale_factors):
            raise ValueError(f'{len(out_channels)} out_channels for {len(scale_factors)} scale_factors')
        self.scale_factors = tuple(float(s) for s in scale_factors)
        self.stages = nn.ModuleList()
        for scale, out_c in zip(self.scale_factors, out_channels):
            if scale == 2.0:
                resize, mid_c = nn.ConvTranspose2d(in_channels, in_channels // 2, 2, stride=2), in_channels // 2
            elif scale == 1.0:
                resize, mid_c = nn.Identity(), in_channels
            elif scale == 0.5:
                resize, mid_c = nn.MaxPool2d(2, stride=2), in_channels
            else:
                raise ValueError(f'scale_factors entries must be one of {SCALE_FACTORS}, got {scale}')
            self.stages.append(
                nn.Sequential(resize, nn.Conv2d(mid_c, out_c, 1, bias=False), LayerNorm2d(out_c),
                              nn.Conv2d(out_c, out_c, 3, padding=1, bias=False), LayerNorm2d(out_c)))

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        """inputs: one (N, C, h, w) map per scale -> (N, out_channels[i], h * s_i, w * s_i) per scale."""
        if len(inputs) != len(self.stages):
            raise ValueError(f'SimplePyramid expects {len(self.stages)} feature maps, got {len(inputs)}')
        return tuple(stage(x) for stage, x in zip(self.stages, inputs))
