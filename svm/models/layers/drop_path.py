"""Stochastic depth: drop a residual branch for whole samples while training."""
import torch
from torch import Tensor, nn


def drop_path(x: Tensor, drop_prob: float = 0., training: bool = False) -> Tensor:
    """Zero the branch ``x`` for each sample with probability ``drop_prob``, scaling the kept ones by
    1 / (1 - drop_prob) so that its expectation is unchanged; the identity in evaluation.

    Args:
        x: (N, ...), one row per sample.
    Returns:
        Same shape as ``x``.
    """
    if drop_prob == 0. or not training:
        return x
    keep_prob = 1 - drop_prob
    # floor(keep_prob + U[0, 1)) is 1 with probability keep_prob: one draw per sample, as mmcv's DropPath,
    # so a seed drops the same samples as when S-ViT used mmcv's
    keep = (keep_prob + torch.rand((x.shape[0], ) + (1, ) * (x.ndim - 1), dtype=x.dtype, device=x.device)).floor()
    return x.div(keep_prob) * keep


class DropPath(nn.Module):
    """:func:`drop_path` as a module.

    Args:
        drop_prob: probability of dropping the branch for a sample.
    """

    def __init__(self, drop_prob: float = 0.1) -> None:
        super().__init__()
        if not 0. <= drop_prob < 1.:
            raise ValueError(f'drop_prob must be in [0, 1), got {drop_prob!r}')
        self.drop_prob = drop_prob

    def forward(self, x: Tensor) -> Tensor:
        return drop_path(x, self.drop_prob, self.training)

    def extra_repr(self) -> str:
        return f'drop_prob={self.drop_prob}'
