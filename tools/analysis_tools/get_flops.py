"""FLOPs of a config's S-ViT encoder for a clip, per frame and per clip (fvcore: 1 multiply-add = 1 flop).

    python tools/analysis_tools/get_flops.py configs/_base_/models/svit_b16_stream.py --shape 16 224 224

The config's ``model`` may be a bare backbone or hold one as ``model.backbone`` or
``model.detector.backbone``. Encoders are counted as they run:
  - 'stream' frame by frame (streaming mode, as at inference): frame t's T2D attends to the min(t, L)
    frames in memory, so the clip total is the causal count of the paper;
  - 'space' and 'clip' on the whole clip at once (parallel mode); per frame = clip / T.

fvcore has no counter for torch's scaled_dot_product_attention and would skip it silently; this tool
registers one (q.k^T plus attn.v multiply-adds, see :func:`sdpa_flop_jit`).

Whole recognisers (``model.type='SViTRecognizer'``, configs/recognition/svm/) are counted per view (one
clip of T frames: encoder as above plus the temporal decoder and classifier) and per video (times the
clips x crops of the config's test pipeline), see :func:`recognizer_flops`::

    python tools/analysis_tools/get_flops.py \
        configs/recognition/svm/svm_stream-b16_clip-pre_16x4x1_kinetics400-rgb.py --shape 16 224 224
"""
import argparse
import copy
import math
from typing import Dict, List

import mmengine
import torch
from fvcore.nn import FlopCountAnalysis
from fvcore.nn.jit_handles import get_shape
from mmengine.config import Config, DictAction
from mmengine.utils import ProgressBar
from torch import nn

from svm.datasets.recognition import pipeline_steps


def sdpa_flop_jit(inputs: list, outputs: list) -> int:
    """Multiply-adds of scaled_dot_product_attention: q.k^T and attn.v (a mask does not reduce them)."""
    q, k, v = (get_shape(x) for x in inputs[:3])
    queries = math.prod(q[:-1])
    return queries * k[-2] * q[-1] + queries * k[-2] * v[-1]


def count_flops(module: nn.Module, inputs: tuple) -> int:
    """fvcore FLOPs of ``module(*inputs)``, attention included."""
    analysis = FlopCountAnalysis(module, inputs)
    analysis.set_op_handle('aten::scaled_dot_product_attention', sdpa_flop_jit)
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    return int(analysis.total())


@torch.no_grad()
def encoder_frame_flops(backbone: nn.Module, num_frames: int, height: int, width: int, batch: int = 1,
                        progress: bool = False) -> List[int]:
    """FLOPs of encoding each frame of a (batch, T, 3, height, width) clip with an SViT; T entries."""
    backbone.eval()
    clip = torch.randn(batch, num_frames, 3, height, width)
    if backbone.attn_mode != 'stream':
        return [count_flops(backbone, (clip, )) // num_frames] * num_frames
    backbone.reset_memory()
    bar = ProgressBar(num_frames) if progress else None
    per_frame = []
    for t in range(num_frames):  # each trace runs one streaming step, which fills the memory
        per_frame.append(count_flops(backbone, (clip[:, t], )))
        if bar is not None:
            bar.update()
    backbone.reset_memory()
    return per_frame


def find_backbone_cfg(model_cfg: dict, path: str) -> dict:
    """The SViT config inside a config's ``model``."""
    for cfg in (model_cfg, model_cfg.get('backbone'), model_cfg.get('detector', {}).get('backbone')):
        if isinstance(cfg, dict) and cfg.get('type') == 'SViT':
            return cfg
    raise ValueError(f'{path}: expected `model` to be an SViT backbone or to hold one as model.backbone '
                     f"or model.detector.backbone, got model type {model_cfg.get('type')!r}")


def build_counted_model(cfg: Config, path: str) -> nn.Module:
    """Build the SViT of a config, without pretrained weights (they do not change FLOPs)."""
    from svm.registry import MMACTION_MODELS, MMDET_MODELS
    backbone_cfg = dict(find_backbone_cfg(cfg.model, path))
    backbone_cfg.pop('pretrained', None)
    backbone_cfg.pop('init_cfg', None)
    registry = MMDET_MODELS if cfg.get('default_scope') == 'mmdet' else MMACTION_MODELS
    return registry.build(backbone_cfg)


# --- Whole recognisers (SViTRecognizer): GFLOPs per view and the number of test views -----------------
CROPS_PER_TRANSFORM = {'CenterCrop': 1, 'ThreeCrop': 3, 'TenCrop': 10}
FRAME_SAMPLERS = ('SampleFrames', 'UniformSample', 'DenseSampleFrames')


def count_test_views(test_pipeline: list, path: str) -> Dict[str, int]:
    """Clips x crops of an mmaction2 test pipeline: the views whose scores a recogniser averages."""
    steps = pipeline_steps(test_pipeline)
    samplers = [s for s in steps if s['type'] in FRAME_SAMPLERS]
    crops = [CROPS_PER_TRANSFORM[s['type']] for s in steps if s['type'] in CROPS_PER_TRANSFORM]
    if len(samplers) != 1:
        raise ValueError(f'{path}: expected one of {FRAME_SAMPLERS} in test_pipeline, found {len(samplers)}')
    sampler = samplers[0]
    clips = sampler.get('num_clips', 1) * (sampler.get('num_sample_positions', 1)
                                            if sampler['type'] == 'DenseSampleFrames' else 1)
    return dict(clips=clips, crops=crops[0] if crops else 1)


@torch.no_grad()
def recognizer_flops(cfg: Config, path: str, num_frames: int, height: int, width: int) -> Dict:
    """fvcore FLOPs of one view (a clip of T frames) through an SViTRecognizer: its encoder, counted as
    :func:`encoder_frame_flops` does, plus its head (temporal decoder and classifier) on the clip's frame
    tokens; and the number of test views from the config's test pipeline."""
    from mmengine.registry import init_default_scope

    from svm.registry import MMACTION_MODELS
    init_default_scope('mmaction')  # the data preprocessor and losses are mmaction2's
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.pop('pretrained', None)
    model = MMACTION_MODELS.build(model_cfg).eval()
    encoder = sum(encoder_frame_flops(model.backbone, num_frames, height, width, progress=True))
    tokens = model.encode_clips(torch.randn(1, num_frames, 3, height, width))  # (1, T, 1 + h*w, C)
    head = count_flops(model.cls_head, (tokens, ))
    views = count_test_views(cfg.test_dataloader.dataset.pipeline, path)
    num_views = views['clips'] * views['crops']
    return dict(config=path, attn_mode=model.backbone.attn_mode, clip_shape=[1, num_frames, 3, height, width],
                gflops_encoder_per_view=encoder / 1e9, gflops_head_per_view=head / 1e9,
                gflops_per_view=(encoder + head) / 1e9, views=views,
                gflops_per_video=(encoder + head) * num_views / 1e9)


def print_recognizer_flops(result: Dict) -> None:
    views = result['views']
    print(f'\n{result["config"]}: SViTRecognizer, encoder attn_mode={result["attn_mode"]}, view (B, T, C, H, W) = '
          f'{tuple(result["clip_shape"])}, fvcore GFLOPs (1 multiply-add = 1 flop)')
    print('| encoder / view | decoder + classifier / view | total / view | views (clips x crops) | total / video |')
    print('|---|---|---|---|---|')
    print(f'| {result["gflops_encoder_per_view"]:.1f} | {result["gflops_head_per_view"]:.3f} | '
          f'{result["gflops_per_view"]:.1f} | {views["clips"]} x {views["crops"]} | '
          f'{result["gflops_per_video"]:.0f} |')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file')
    parser.add_argument('--shape', type=int, nargs=3, default=[16, 224, 224], metavar=('T', 'H', 'W'),
                        help='clip shape: frames, height, width (default 16 224 224)')
    parser.add_argument('--batch', type=int, default=1, help='videos per clip batch (default 1)')
    parser.add_argument('--json', help='also write the result to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. model.backbone.attn_mode=space')
    return parser.parse_args()


def main() -> Dict:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    T, H, W = args.shape
    if cfg.model.get('type') == 'SViTRecognizer':
        result = recognizer_flops(cfg, args.config, T, H, W)
        print_recognizer_flops(result)
        if args.json:
            mmengine.dump(result, args.json, indent=2)
        return result
    model = build_counted_model(cfg, args.config)
    per_frame = encoder_frame_flops(model, T, H, W, args.batch, progress=model.attn_mode == 'stream')
    result = dict(config=args.config, attn_mode=model.attn_mode, clip_shape=[args.batch, T, 3, H, W],
                  gflops_per_frame=[f / 1e9 for f in per_frame], gflops_per_clip=sum(per_frame) / 1e9)
    print(f'\n{args.config}: SViT attn_mode={model.attn_mode}, clip (B, T, C, H, W) = '
          f'{tuple(result["clip_shape"])}, fvcore GFLOPs (1 multiply-add = 1 flop)')
    print('| per frame: first | per frame: last | per frame: mean | per clip |')
    print('|---|---|---|---|')
    g = result['gflops_per_frame']
    print(f'| {g[0]:.2f} | {g[-1]:.2f} | {sum(g) / T:.2f} | {result["gflops_per_clip"]:.1f} |')
    if args.json:
        mmengine.dump(result, args.json, indent=2)
    return result


if __name__ == '__main__':
    main()
