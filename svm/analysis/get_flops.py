"""FLOPs of svm's models with fvcore (one multiply-add = one flop), behind tools/analysis_tools/get_flops.py.

- :func:`encoder_frame_flops`: an S-ViT encoder per frame of a clip. 'stream' is counted frame by frame
  in streaming mode (as at inference): frame t's T2D attends to the min(t, L) frames in memory, so the
  clip total is the causal count of the paper; 'space' and 'clip' on the whole clip at once (parallel
  mode), per frame = clip / T.
- :func:`recognizer_flops`: a whole SViTRecognizer per view (encoder + temporal decoder and classifier)
  and per video (times the clips x crops of its test pipeline).
- :func:`detector_frame_flops`: a whole MOT detector per frame at an image size, part by part (S-ViT
  backbone, each neck module such as the pyramid adapter and the PAFPN / FPN, the heads), with the
  backbone counted on the first frame of a video (empty memory) and once its memory is full.
- :func:`config_flops`: whichever of the three a config's model is, and :func:`format_config_flops` its table.

fvcore has no counter for torch's scaled_dot_product_attention and would skip it silently; every count
here registers one (q.k^T plus attn.v multiply-adds, see :func:`sdpa_flop_jit`).
"""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from fvcore.nn import FlopCountAnalysis
from fvcore.nn.jit_handles import get_shape
from mmengine.config import Config
from torch import nn

from svm.models.builder import build_model_from_cfg
from svm.utils.progress import progress_bar
from svm.utils.table import markdown_table


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
    bar = progress_bar(num_frames) if progress else None
    per_frame = []
    for t in range(num_frames):  # each trace runs one streaming step, which fills the memory
        per_frame.append(count_flops(backbone, (clip[:, t], )))
        if bar is not None:
            bar.update()
    backbone.reset_memory()
    return per_frame


def find_backbone(model_cfg: dict, path: str) -> str:
    """Where the SViT is inside a config's ``model``: '' (the model itself), 'backbone' or 'detector.backbone'."""
    for part in ('', 'backbone', 'detector.backbone'):
        cfg = model_cfg
        for key in filter(None, part.split('.')):
            cfg = cfg.get(key) if isinstance(cfg, dict) else None
        if isinstance(cfg, dict) and cfg.get('type') == 'SViT':
            return part
    raise ValueError(f'{path}: expected `model` to be an SViT backbone or to hold one as model.backbone '
                     f"or model.detector.backbone, got model type {model_cfg.get('type')!r}")


def build_counted_model(cfg: Config, path: str) -> nn.Module:
    """Build the SViT of a config, without pretrained weights (they do not change FLOPs); a config without a
    ``default_scope`` (a bare S-ViT) in mmaction2's registry."""
    return build_model_from_cfg(cfg, find_backbone(cfg.model, path), scope=cfg.get('default_scope') or 'mmaction')


# --- Whole recognisers (SViTRecognizer): GFLOPs per view and the number of test views -----------------
@torch.no_grad()
def recognizer_flops(cfg: Config, path: str, num_frames: int, height: int, width: int) -> Dict:
    """fvcore FLOPs of one view (a clip of T frames) through an SViTRecognizer: its encoder, counted as
    :func:`encoder_frame_flops` does, plus its head (temporal decoder and classifier) on the clip's frame
    tokens; and the number of test views from the config's test pipeline."""
    from svm.datasets.recognition import count_test_views
    model = build_model_from_cfg(cfg).eval()
    encoder = sum(encoder_frame_flops(model.backbone, num_frames, height, width, progress=True))
    tokens = model.encode_clips(torch.randn(1, num_frames, 3, height, width))  # (1, T, 1 + h*w, C)
    head = count_flops(model.cls_head, (tokens, ))
    views = count_test_views(cfg.test_dataloader.dataset.pipeline, path)
    num_views = views['clips'] * views['crops']
    return dict(config=path, attn_mode=model.backbone.attn_mode, clip_shape=[1, num_frames, 3, height, width],
                gflops_encoder_per_view=encoder / 1e9, gflops_head_per_view=head / 1e9,
                gflops_per_view=(encoder + head) / 1e9, views=views,
                gflops_per_video=(encoder + head) * num_views / 1e9)


# --- Whole detectors of the MOT configs: GFLOPs per frame, part by part ---------------------------------
def build_detector(cfg: Config, path: str) -> nn.Module:
    """The detector of a MOT config (``model.detector``, or ``model`` itself when it is one), without
    pretrained weights (they do not change FLOPs), in eval mode."""
    part = 'detector' if 'detector' in cfg.model else ''
    if 'backbone' not in (cfg.model.detector if part else cfg.model):
        raise ValueError(f'{path}: expected a detector (model.detector with a backbone), got model type '
                         f"{cfg.model.get('type')!r}")
    return build_model_from_cfg(cfg, part).eval()


def config_image_size(cfg: Config, padded: bool = True) -> Tuple[int, int]:
    """(height, width) of the frames a MOT config tests on: its test ``Resize`` scale (w, h), padded to its
    ``Pad`` size divisor unless ``padded`` is False.

    Raises:
        ValueError: the config has no test pipeline with a ``Resize`` to a fixed scale.
    """
    from svm.datasets.recognition import pipeline_steps
    pipeline = cfg.get('test_dataloader', {}).get('dataset', {}).get('pipeline', [])
    steps = pipeline_steps(pipeline)
    scales = [s['scale'] for s in steps if s['type'] == 'Resize' and isinstance(s.get('scale'), (tuple, list))]
    if not scales:
        raise ValueError(f'{cfg.filename}: the test pipeline has no Resize with a scale: give the image size '
                         'with --shape H W')
    width, height = (int(v) for v in scales[0])
    if not padded:
        return height, width
    divisor = next((s['size_divisor'] for s in steps if s['type'] == 'Pad' and s.get('size_divisor')), 1)
    return -(-height // divisor) * divisor, -(-width // divisor) * divisor


class _RoIHeadOnProposals(nn.Module):
    """A two-stage detector's RoI head on a fixed set of proposals (one image): what it costs per frame."""

    def __init__(self, roi_head: nn.Module):
        super().__init__()
        self.roi_head = roi_head

    def forward(self, feats: Tuple[torch.Tensor, ...], proposals: torch.Tensor):
        rois = torch.cat([proposals.new_zeros(len(proposals), 1), proposals], dim=1)
        results = self.roi_head._bbox_forward(feats, rois)
        return results['cls_score'], results['bbox_pred']


def _random_proposals(num: int, height: int, width: int) -> torch.Tensor:
    """``num`` boxes (x1, y1, x2, y2) inside a height x width image (their values do not change FLOPs)."""
    generator = torch.Generator().manual_seed(0)
    xy = torch.rand(num, 2, generator=generator) * torch.tensor([width * 0.8, height * 0.8])
    wh = (torch.rand(num, 2, generator=generator) * 0.2 + 0.02) * torch.tensor([width, height])
    return torch.cat([xy, xy + wh], dim=1)


@torch.no_grad()
def detector_frame_flops(detector: nn.Module, height: int, width: int,
                         num_frames: Optional[int] = None) -> Dict:
    """fvcore FLOPs of one (1, 3, height, width) frame through a detector, part by part.

    The backbone is counted on the first frame of a video (empty streaming memory) and on frame
    ``num_frames`` (default: the memory length, from which on every frame costs the same), the frames
    between streamed uncounted; the neck modules and heads cost the same on every frame. A two-stage
    detector's RoI head is counted on ``test_cfg.rpn.max_per_img`` proposals. Not counted: the data
    preprocessor (normalisation), box decoding and NMS, the tracker (no network).

    Returns:
        ``parts``: ``[{'part', 'module', 'flops_first', 'flops_last'}, ...]`` (backbone, ``neck.<i>``,
        heads), ``total_first`` / ``total_last``, ``num_frames``, ``streaming`` and ``memory_len``.
    """
    backbone = detector.backbone
    streaming = getattr(backbone, 'attn_mode', None) == 'stream'
    memory_len = max((m.memory_len for m in backbone.modules() if isinstance(getattr(m, 'memory_len', None), int)),
                     default=0) if streaming else 0
    num_frames = max(int(num_frames if num_frames is not None else memory_len), 1)
    frame = torch.randn(1, 3, height, width)

    if streaming:
        backbone.reset_memory()
    first = count_flops(backbone, (frame, ))  # the trace is frame 1's streaming step
    last = first
    if streaming and num_frames > 1:
        for _ in range(num_frames - 2):
            backbone(frame)
        last = count_flops(backbone, (frame, ))
    feats = backbone(frame)
    if streaming:
        backbone.reset_memory()
    parts = [dict(part='backbone', module=type(backbone).__name__, flops_first=first, flops_last=last)]

    def add(part: str, module: nn.Module, inputs: tuple, name: Optional[str] = None):
        flops = count_flops(module, inputs)
        parts.append(dict(part=part, module=name or type(module).__name__, flops_first=flops, flops_last=flops))

    neck = getattr(detector, 'neck', None) if getattr(detector, 'with_neck', True) else None
    if neck is not None:
        modules = list(neck) if isinstance(neck, nn.Sequential) else [neck]
        for i, module in enumerate(modules):
            add(f'neck.{i}' if len(modules) > 1 else 'neck', module, (feats, ))
            feats = module(feats)
    feats = tuple(feats)
    if getattr(detector, 'rpn_head', None) is not None:
        add('rpn_head', detector.rpn_head, (feats, ))
    if getattr(detector, 'roi_head', None) is not None:
        rpn_cfg = (detector.test_cfg or {}).get('rpn', {}) or {}
        num = int(rpn_cfg.get('max_per_img', 1000))
        add('roi_head', _RoIHeadOnProposals(detector.roi_head), (feats, _random_proposals(num, height, width)),
            name=f'{type(detector.roi_head).__name__} ({num} proposals)')
    if getattr(detector, 'bbox_head', None) is not None:
        add('bbox_head', detector.bbox_head, (feats, ))
    if len(parts) == 1:
        raise ValueError(f'{type(detector).__name__}: no neck or head found to count (expected bbox_head, or '
                         f'rpn_head and roi_head)')
    return dict(parts=parts, num_frames=num_frames, streaming=streaming, memory_len=memory_len,
                total_first=sum(p['flops_first'] for p in parts), total_last=sum(p['flops_last'] for p in parts))


def format_detector_flops(result: Dict) -> str:
    """A markdown table of :func:`detector_frame_flops` (GFLOPs), one row per part and the whole detector."""
    held = min(result['num_frames'], result['memory_len'])
    last = (f'frame {result["num_frames"]} ({held} of {result["memory_len"]} frames in memory)'
            if result['streaming'] else 'any frame')
    first = 'frame 1 (empty memory)' if result['streaming'] else 'any frame'
    total_first = sum(p['flops_first'] for p in result['parts'])
    total_last = sum(p['flops_last'] for p in result['parts'])
    rows = [[p['part'], p['module'], format_gflops(p['flops_first'] / 1e9), format_gflops(p['flops_last'] / 1e9),
             f"{100 * p['flops_last'] / max(total_last, 1):.1f}%"] for p in result['parts']]
    rows.append(['**whole detector**', '', format_gflops(total_first / 1e9), format_gflops(total_last / 1e9), '100%'])
    return markdown_table(['part', 'module', f'GFLOPs, {first}', f'GFLOPs, {last}', 'share of the frame'], rows)


# --- Any config: what tools/analysis_tools/get_flops.py counts and prints ---------------------------------
def is_detector_config(cfg: Config) -> bool:
    """A MOT config (``model.detector``) or a bare mmdet detector (a backbone and a neck in scope mmdet)."""
    return isinstance(cfg.model.get('detector'), dict) or (cfg.get('default_scope') == 'mmdet'
                                                           and 'backbone' in cfg.model and 'neck' in cfg.model)


DEFAULT_CLIP_SHAPE = (16, 224, 224)  # (T, H, W) of a config that names no clip: the paper's K400 view
CROP_STEPS = ('CenterCrop', 'ThreeCrop', 'TenCrop', 'RandomCrop')


def config_clip_shape(cfg: Config) -> Tuple[int, int, int]:
    """(T, H, W) of one view of a recognition config: T from the test pipeline's frame sampler
    (``clip_len``), H and W from its crop (``crop_size``) or, without one, the backbone's ``img_size``;
    :data:`DEFAULT_CLIP_SHAPE` for what the config does not say (a bare S-ViT config has no pipeline)."""
    from svm.datasets.recognition.pipelines import FRAME_SAMPLERS, pipeline_steps
    pipeline = cfg.get('test_dataloader', {}).get('dataset', {}).get('pipeline', []) or []
    steps = pipeline_steps(pipeline)
    frames, height, width = DEFAULT_CLIP_SHAPE
    frames = next((int(s['clip_len']) for s in steps if s['type'] in FRAME_SAMPLERS and s.get('clip_len')), frames)
    crop = next((s.get('crop_size', s.get('size')) for s in steps if s['type'] in CROP_STEPS), None)
    if crop is None:
        backbone = cfg.model.get('backbone', cfg.model) if isinstance(cfg.get('model'), dict) else {}
        crop = backbone.get('img_size') if isinstance(backbone, dict) else None
    if isinstance(crop, int):
        height = width = crop
    elif isinstance(crop, (tuple, list)) and len(crop) == 2:
        width, height = (int(v) for v in crop)  # mmaction2's crop sizes are (w, h)
    return frames, height, width


def format_gflops(value: float) -> str:
    """GFLOPs with at least 4 significant digits (a tiny model's 0.000412 is not 0.0), one decimal from 100 on."""
    if value == 0 or abs(value) >= 100:
        return f'{value:.1f}'
    return f'{value:.{max(1, 3 - math.floor(math.log10(abs(value))))}f}'


def config_flops(cfg: Config, path: str, shape: Optional[Sequence[int]] = None, num_frames: Optional[int] = None,
                 batch: int = 1) -> Dict:
    """fvcore FLOPs of a config's model, whichever it is (``path`` names the config in the result and errors):

    - a detector (:func:`is_detector_config`): per frame, part by part (:func:`detector_frame_flops`) at
      ``shape`` = (H, W) (default: :func:`config_image_size`), the backbone on frame 1 and frame
      ``num_frames``;
    - an SViTRecognizer: per view and per video (:func:`recognizer_flops`) of a ``shape`` = (T, H, W) clip
      (default: the config's view, :func:`config_clip_shape`);
    - a bare S-ViT (``model`` or ``model.backbone``): per frame of ``batch`` clips of ``shape`` = (T, H, W)
      (:func:`encoder_frame_flops`).

    Returns the result dict :func:`format_config_flops` prints; its ``kind`` is 'detector', 'recognizer'
    or 'encoder'.
    """
    if is_detector_config(cfg):
        return _detector_config_flops(cfg, path, shape, num_frames)
    shape = list(shape or config_clip_shape(cfg))
    if len(shape) != 3:
        raise ValueError(f'--shape takes the clip shape T H W for {path}, got {shape}')
    T, H, W = shape
    if cfg.model.get('type') == 'SViTRecognizer':
        head_frames = (cfg.model.get('cls_head') or {}).get('num_frames')
        if head_frames and T > head_frames:  # the head would refuse it only after the encoder was counted
            raise ValueError(f'{path}: --shape {T} {H} {W}: a clip of {T} frames is longer than the temporal '
                             f'decoder learned (model.cls_head.num_frames={head_frames}); give at most '
                             f'{head_frames} frames, or leave --shape out to count the config\'s own clip')
        return dict(kind='recognizer', **recognizer_flops(cfg, path, T, H, W))
    model = build_counted_model(cfg, path)
    per_frame = encoder_frame_flops(model, T, H, W, batch, progress=model.attn_mode == 'stream')
    return dict(kind='encoder', config=path, attn_mode=model.attn_mode, clip_shape=[batch, T, 3, H, W],
                gflops_per_frame=[f / 1e9 for f in per_frame], gflops_per_clip=sum(per_frame) / 1e9)


def _detector_config_flops(cfg: Config, path: str, shape: Optional[Sequence[int]],
                           num_frames: Optional[int]) -> Dict:
    if shape is None:
        height, width = config_image_size(cfg)
    elif len(shape) == 2:
        height, width = shape
    else:
        raise ValueError(f'{path} is a detector: --shape takes the image size H W, got {list(shape)}')
    detector = build_detector(cfg, path)
    counted = detector_frame_flops(detector, height, width, num_frames=num_frames)
    return dict(kind='detector', config=path, model=cfg.model.type, detector=type(detector).__name__,
                frame_shape=[1, 3, height, width], num_frames=counted['num_frames'],
                streaming=counted['streaming'], memory_len=counted['memory_len'],
                parts=[dict(p, gflops_first=p['flops_first'] / 1e9, gflops_last=p['flops_last'] / 1e9)
                       for p in counted['parts']],
                gflops_per_frame_first=counted['total_first'] / 1e9, gflops_per_frame=counted['total_last'] / 1e9)


def format_config_flops(result: Dict) -> str:
    """What get_flops.py prints for a :func:`config_flops` result: a line naming the model and the input, and
    a markdown table of GFLOPs."""
    unit = 'fvcore GFLOPs (1 multiply-add = 1 flop)'
    if result['kind'] == 'detector':
        return '\n'.join([
            f'\n{result["config"]}: {result["model"]} with {result["detector"]}, one frame (B, C, H, W) = '
            f'{tuple(result["frame_shape"])}, {unit}; not counted: normalisation, box decoding, NMS, the tracker',
            format_detector_flops(result)])
    if result['kind'] == 'recognizer':
        views = result['views']
        return '\n'.join([
            f'\n{result["config"]}: SViTRecognizer, encoder attn_mode={result["attn_mode"]}, view (B, T, C, H, W) = '
            f'{tuple(result["clip_shape"])}, {unit}',
            markdown_table(['encoder / view', 'decoder + classifier / view', 'total / view', 'views (clips x crops)',
                            'total / video'],
                           [[format_gflops(result['gflops_encoder_per_view']),
                             format_gflops(result['gflops_head_per_view']), format_gflops(result['gflops_per_view']),
                             f"{views['clips']} x {views['crops']}",
                             format_gflops(result['gflops_per_video'])]])])
    g = result['gflops_per_frame']
    return '\n'.join([
        f'\n{result["config"]}: SViT attn_mode={result["attn_mode"]}, clip (B, T, C, H, W) = '
        f'{tuple(result["clip_shape"])}, {unit}',
        markdown_table(['per frame: first', 'per frame: last', 'per frame: mean', 'per clip'],
                       [[format_gflops(g[0]), format_gflops(g[-1]), format_gflops(sum(g) / len(g)),
                         format_gflops(result['gflops_per_clip'])]])])


__all__: Sequence[str] = [
    'sdpa_flop_jit', 'count_flops', 'encoder_frame_flops', 'find_backbone', 'build_counted_model',
    'recognizer_flops', 'build_detector', 'config_image_size', 'detector_frame_flops', 'format_detector_flops',
    'is_detector_config', 'DEFAULT_CLIP_SHAPE', 'config_clip_shape', 'format_gflops', 'config_flops',
    'format_config_flops'
]
