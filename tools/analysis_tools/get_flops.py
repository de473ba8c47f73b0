"""FLOPs of a config's S-ViT encoder for a clip, per frame and per clip (fvcore: 1 multiply-add = 1 flop).

    python tools/analysis_tools/get_flops.py configs/_base_/models/svit_b16_stream.py --shape 16 224 224

The config's ``model`` may be a bare backbone or hold one as ``model.backbone`` or
``model.detector.backbone``. Encoders are counted as they run:
  - 'stream' frame by frame (streaming mode, as at inference): frame t's T2D attends to the min(t, L)
    frames in memory, so the clip total is the causal count of the paper;
  - 'space' and 'clip' on the whole clip at once (parallel mode); per frame = clip / T.

fvcore has no counter for torch's scaled_dot_product_attention and would skip it silently; this tool
registers one (q.k^T plus attn.v multiply-adds, see :func:`sdpa_flop_jit`).

Extending to whole models (e.g. a recogniser's temporal decoder): build the model in
:func:`build_counted_model` and count the extra modules with :func:`count_flops` on their inputs
(the clip features), adding them to the encoder's per-clip total in :func:`main`.
"""
import argparse
import json
import math
from typing import Dict, List

import torch
from fvcore.nn import FlopCountAnalysis
from fvcore.nn.jit_handles import get_shape
from mmengine.config import Config, DictAction
from mmengine.utils import ProgressBar
from torch import nn


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
    import svm  # noqa: F401  (registers SViT)
    from svm.registry import MMACTION_MODELS, MMDET_MODELS
    backbone_cfg = dict(find_backbone_cfg(cfg.model, path))
    backbone_cfg.pop('pretrained', None)
    backbone_cfg.pop('init_cfg', None)
    registry = MMDET_MODELS if cfg.get('default_scope') == 'mmdet' else MMACTION_MODELS
    return registry.build(backbone_cfg)


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
    model = build_counted_model(cfg, args.config)
    T, H, W = args.shape
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
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == '__main__':
    main()
