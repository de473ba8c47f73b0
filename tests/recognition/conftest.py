"""Shared pieces of the recognition tests: tiny recognisers and tiny real videos."""
from pathlib import Path
import subprocess
import sys
from typing import Callable, Dict

import pytest
import torch

import svm  # noqa: F401  (patches mmaction2 and registers svm's modules before mmaction.models loads)

TINY_ARCH = dict(embed_dims=32, num_layers=3, num_heads=4, patch_size=8)
CLIP_MEAN = [122.771, 116.746, 104.094]
CLIP_STD = [68.501, 66.632, 70.323]


def tiny_recognizer_cfg(attn_mode: str = 'stream', num_frames: int = 4, num_classes: int = 5,
                        **head_kwargs) -> dict:
    head = dict(type='TemporalDecoderHead', num_classes=num_classes, in_channels=TINY_ARCH['embed_dims'],
                num_frames=num_frames, frame_tokens=('cls', 'patch_mean'), num_layers=2, num_heads=4,
                dropout_ratio=0., average_clips='prob')
    head.update(head_kwargs)
    return dict(
        type='SViTRecognizer',
        backbone=dict(type='SViT', arch=TINY_ARCH, img_size=32, attn_mode=attn_mode, memory_len=num_frames,
                      out_type='tokens'),
        cls_head=head,
        data_preprocessor=dict(type='ActionDataPreprocessor', mean=CLIP_MEAN, std=CLIP_STD,
                               format_shape='NCTHW'))


@pytest.fixture
def build_recognizer() -> Callable[..., torch.nn.Module]:
    """Factory of tiny recognisers whose T2D gates are far from their 1e-4 init, so that the temporal
    attention of the encoder really changes its outputs."""
    from mmaction.registry import MODELS
    from mmengine.registry import init_default_scope

    def build(attn_mode: str = 'stream', seed: int = 0, **kwargs) -> torch.nn.Module:
        init_default_scope('mmaction')
        torch.manual_seed(seed)
        model = MODELS.build(tiny_recognizer_cfg(attn_mode, **kwargs))
        model.init_weights()
        for name, param in model.named_parameters():
            if name.endswith('t2d_alpha'):
                torch.nn.init.normal_(param, 0., 1.)
        return model.eval()

    return build


@pytest.fixture(scope='session')
def toy_videos(tmp_path_factory) -> Dict[str, Path]:
    """Two-class toy data set of real .mp4 and .webm files and mmaction2 lists for it (see toy_videos.py).

    The files are written in a fresh interpreter: once decord is loaded in a process (mmaction2's
    DecordInit imports it), its bundled FFmpeg libraries make PyAV's libvpx encoders fail to open."""
    root = tmp_path_factory.mktemp('toy_videos')
    subprocess.run([sys.executable, str(Path(__file__).with_name('toy_videos.py')), str(root)], check=True,
                   capture_output=True, text=True, timeout=300)
    return dict(root=root, train=root / 'train_list_videos.txt', val=root / 'val_list_videos.txt')
