"""Action recogniser: S-ViT frame encoder (parallel mode over each clip) -> temporal decoder head."""
from contextlib import nullcontext
from typing import Optional, Tuple

import torch
from mmaction.models.recognizers import Recognizer3D
from mmaction.utils import ConfigType, OptConfigType, OptSampleList

from svm.registry import MMACTION_MODELS


@MMACTION_MODELS.register_module()
class SViTRecognizer(Recognizer3D):
    """Recogniser that encodes every frame of a clip with a frame encoder (S-ViT in ``stream``, ``space``
    or ``clip`` mode) and lets its head read the per-frame tokens.

    Inputs follow mmaction2's 3-D layout, (B, V, C, T, H, W) with V views per video (clips x crops,
    from the test pipeline's sampling and cropping); every view is one clip for the backbone, which
    runs in parallel mode on (B*V, T, C, H, W) and starts each clip from an empty memory. Its token
    output (B*V*T, P + h*w, C), frame-major (P = 1 with a class token, 0 without, as in the windowed
    S-ViT of the MOT release), is regrouped into (B*V, T, P + h*w, C) for the head, whose ``predict``
    averages the V views' scores (``average_clips``). There is no neck: the head reads the encoder's
    tokens directly.

    Args:
        backbone: the frame encoder; must return tokens (``out_type='tokens'`` for SViT).
        cls_head: a head that takes (N, T, P + h*w, C) frame tokens, e.g. ``TemporalDecoderHead`` (with
            ``with_cls_token=False`` for a backbone without a class token).
        freeze_backbone: train the head alone on a fixed encoder (e.g. a tracker's S-ViT, so that one
            backbone pass serves both tasks). The backbone's parameters get ``requires_grad=False``, it
            stays in eval mode (no drop path) through :meth:`train`, and it runs under ``torch.no_grad()``:
            no activations are kept and there is no backward pass through the encoder, so a training step
            costs about one encoder forward plus the head's forward and backward.
        train_cfg: unused by this recogniser, kept for mmaction2's interface.
        test_cfg: ``max_testing_views`` (int) encodes the views of a batch in chunks of at most that
            many clips, bounding test memory.
        data_preprocessor: an ``ActionDataPreprocessor`` with ``format_shape='NCTHW'``.
    """

    def __init__(self,
                 backbone: ConfigType,
                 cls_head: ConfigType,
                 freeze_backbone: bool = False,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None) -> None:
        super().__init__(backbone=backbone, cls_head=cls_head, train_cfg=train_cfg, test_cfg=test_cfg,
                         data_preprocessor=data_preprocessor)
        backbone_cls = getattr(self.backbone, 'with_cls_token', None)
        head_cls = getattr(self.cls_head, 'num_prefix_tokens', None)
        if backbone_cls is not None and head_cls is not None and head_cls != int(backbone_cls):
            # otherwise the head would read a patch as the class token, or the class token as a patch
            raise ValueError(f'SViTRecognizer: the backbone has with_cls_token={backbone_cls} but the head '
                             f'expects with_cls_token={bool(head_cls)}; set both the same')
        self.freeze_backbone = freeze_backbone
        if freeze_backbone:
            self.backbone.requires_grad_(False)
            self.backbone.eval()

    def train(self, mode: bool = True) -> 'SViTRecognizer':
        """Set the training mode; a frozen backbone stays in eval mode."""
        super().train(mode)
        if self.freeze_backbone:
            self.backbone.eval()
        return self

    def encode_clips(self, clips: torch.Tensor) -> torch.Tensor:
        """clips: (N, T, C, H, W) -> frame tokens (N, T, P + h*w, C') from the last backbone output."""
        num_clips, num_frames = clips.shape[:2]
        with torch.no_grad() if self.freeze_backbone else nullcontext():
            tokens = self.backbone(clips)[-1]
        if tokens.dim() != 3 or tokens.shape[0] != num_clips * num_frames:
            raise ValueError(
                f'SViTRecognizer needs per-frame tokens of shape (N*T, P + h*w, C) from its backbone, got '
                f'{tuple(tokens.shape)} for {num_clips} clips of {num_frames} frames; set the backbone\'s '
                "out_type='tokens'")
        return tokens.view(num_clips, num_frames, *tokens.shape[1:])

    def extract_feat(self,
                     inputs: torch.Tensor,
                     stage: str = 'backbone',
                     data_samples: OptSampleList = None,
                     test_mode: bool = False) -> Tuple[torch.Tensor, dict]:
        """inputs: (B, V, C, T, H, W). Returns frame tokens (B*V, T, P + h*w, C) (``stage='backbone'``)
        or class scores (B*V, num_classes) (``stage='head'``), and an empty kwargs dict for the head."""
        if inputs.dim() != 6:
            raise ValueError(f'SViTRecognizer expects inputs of shape (B, views, C, T, H, W) '
                             f"(FormatShape input_format='NCTHW'), got {tuple(inputs.shape)}")
        clips = inputs.flatten(0, 1).transpose(1, 2)  # (B*V, T, C, H, W)
        max_views: Optional[int] = (self.test_cfg or {}).get('max_testing_views') if test_mode else None
        if max_views:
            feats = torch.cat([self.encode_clips(chunk) for chunk in clips.split(max_views)])
        else:
            feats = self.encode_clips(clips)
        if stage == 'head':
            return self.cls_head(feats), dict()
        return feats, dict()
