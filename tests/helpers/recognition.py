"""Tiny S-ViT recognisers and the toy data set of real videos (svm.datasets.synthetic.toy_videos) for the
recognition tests."""
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import torch
from mmaction.registry import MODELS
from mmengine.registry import init_default_scope

from .tools import REPO_ROOT

TINY_ARCH = dict(embed_dims=32, num_layers=3, num_heads=4, patch_size=8)
CLIP_MEAN = [122.771, 116.746, 104.094]
CLIP_STD = [68.501, 66.632, 70.323]
# the shipped config of the toy videos (2 classes); its data root is overridden with toy_video_options
TOY_RECOGNITION_CONFIG = str(REPO_ROOT / 'configs/recognition/svm/svm_stream-tiny_1xb4-8x1x1-12e_toy-rgb.py')


def tiny_recognizer_cfg(attn_mode: str = 'stream', num_frames: int = 4, num_classes: int = 5,
                        **head_kwargs) -> dict:
    """An SViTRecognizer of 3 blocks of width 32 on 32x32 clips of ``num_frames`` frames."""
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


def build_tiny_recognizer(attn_mode: str = 'stream', seed: int = 0, **kwargs) -> torch.nn.Module:
    """A tiny recogniser (see :func:`tiny_recognizer_cfg`) in eval mode, whose T2D gates are far from their
    1e-4 init, so that the temporal attention of the encoder really changes its outputs.

    Sets mmaction as the default scope (the tests' autouse fixture undoes it after each test).
    """
    init_default_scope('mmaction')
    torch.manual_seed(seed)
    model = MODELS.build(tiny_recognizer_cfg(attn_mode, **kwargs))
    model.init_weights()
    for name, param in model.named_parameters():
        if name.endswith('t2d_alpha'):
            torch.nn.init.normal_(param, 0., 1.)
    return model.eval()


def write_toy_videos(root: Path) -> Dict[str, Path]:
    """The toy videos and their lists under ``root`` (see svm.datasets.synthetic.toy_videos), written in a fresh
    interpreter: once decord is loaded in a process, PyAV's libvpx encoders fail to open.

    Returns ``dict(root=root, train=<train list>, val=<val list>)``.
    """
    subprocess.run([sys.executable, '-m', 'svm.datasets.synthetic.toy_videos', str(root)], check=True,
                   capture_output=True, text=True, timeout=300)
    return dict(root=root, train=root / 'train_list_videos.txt', val=root / 'val_list_videos.txt')


def toy_video_options(videos: Dict[str, Path], loaders: List[str]) -> List[str]:
    """--cfg-options that point the ``loaders`` ('train', 'val', 'test') of the toy recognition config at
    ``videos`` (see :func:`write_toy_videos`); the test loader reads the validation list."""
    options = []
    for loader in loaders:
        split = 'train' if loader == 'train' else 'val'
        options += [f'{loader}_dataloader.dataset.ann_file={videos[split]}',
                    f'{loader}_dataloader.dataset.data_prefix.video={videos["root"]}']
    return options
