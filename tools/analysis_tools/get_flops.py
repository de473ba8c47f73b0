"""FLOPs of a config's model (fvcore: 1 multiply-add = 1 flop); the counting is svm/utils/flops.py.

- MOT configs (a ``model.detector``, e.g. YOLOX or Faster R-CNN on S-ViT): the whole detector per frame
  at an image size ``--shape H W`` (default: the test pipeline's), in a table per part: S-ViT backbone
  (on the first frame of a video, empty memory, and once its memory is full), each neck module (pyramid
  adapter, PAFPN / FPN) and the heads. The tracker has no network and is not counted::

    python tools/analysis_tools/get_flops.py \
        configs/mot/svm/bytetrack_svit-b16_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth.py --shape 800 1440

- Whole recognisers (``model.type='SViTRecognizer'``, configs/recognition/svm/): per view (one clip of
  T frames, ``--shape T H W``: encoder plus temporal decoder and classifier) and per video (times the
  clips x crops of the config's test pipeline)::

    python tools/analysis_tools/get_flops.py \
        configs/recognition/svm/svm_stream-b16_clip-pre_16x4x1_kinetics400-rgb.py --shape 16 224 224

- A bare S-ViT (``model`` is one, or holds one as ``model.backbone``): per frame and per clip of
  ``--shape T H W``; 'stream' frame by frame in streaming mode, 'space' and 'clip' in parallel mode::

    python tools/analysis_tools/get_flops.py configs/_base_/models/svit_b16_stream.py --shape 16 224 224
"""
import argparse
from typing import Dict

import mmengine
from mmengine.config import Config, DictAction

from svm.utils.config_checks import resolve_config
from svm.utils.flops import (build_counted_model, build_detector, config_image_size, count_flops,  # noqa: F401
                             count_test_views, detector_frame_flops, encoder_frame_flops, format_detector_flops,
                             recognizer_flops, sdpa_flop_jit)


def print_recognizer_flops(result: Dict) -> None:
    views = result['views']
    print(f'\n{result["config"]}: SViTRecognizer, encoder attn_mode={result["attn_mode"]}, view (B, T, C, H, W) = '
          f'{tuple(result["clip_shape"])}, fvcore GFLOPs (1 multiply-add = 1 flop)')
    print('| encoder / view | decoder + classifier / view | total / view | views (clips x crops) | total / video |')
    print('|---|---|---|---|---|')
    print(f'| {result["gflops_encoder_per_view"]:.1f} | {result["gflops_head_per_view"]:.3f} | '
          f'{result["gflops_per_view"]:.1f} | {views["clips"]} x {views["crops"]} | '
          f'{result["gflops_per_video"]:.0f} |')


def detector_main(cfg: Config, args) -> Dict:
    if args.shape is None:
        height, width = config_image_size(cfg)
    elif len(args.shape) == 2:
        height, width = args.shape
    else:
        raise SystemExit(f'{args.config} is a detector: --shape takes the image size H W, got {args.shape}')
    detector = build_detector(cfg, args.config)
    counted = detector_frame_flops(detector, height, width, num_frames=args.frames)
    result = dict(config=args.config, model=cfg.model.type, detector=type(detector).__name__,
                  frame_shape=[1, 3, height, width], num_frames=counted['num_frames'],
                  parts=[dict(p, gflops_first=p['flops_first'] / 1e9, gflops_last=p['flops_last'] / 1e9)
                         for p in counted['parts']],
                  gflops_per_frame_first=counted['total_first'] / 1e9,
                  gflops_per_frame=counted['total_last'] / 1e9)
    print(f'\n{args.config}: {cfg.model.type} with {result["detector"]}, one frame (B, C, H, W) = '
          f'{tuple(result["frame_shape"])}, fvcore GFLOPs (1 multiply-add = 1 flop); not counted: '
          'normalisation, box decoding, NMS, the tracker')
    print(format_detector_flops(counted))
    return result


def clip_main(cfg: Config, args) -> Dict:
    shape = args.shape or [16, 224, 224]
    if len(shape) != 3:
        raise SystemExit(f'--shape takes the clip shape T H W for {args.config}, got {shape}')
    T, H, W = shape
    if cfg.model.get('type') == 'SViTRecognizer':
        result = recognizer_flops(cfg, args.config, T, H, W)
        print_recognizer_flops(result)
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
    return result


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split('\n', 1)[1])
    parser.add_argument('config', help='config file')
    parser.add_argument('--shape', type=int, nargs='+', default=None, metavar='N',
                        help='detectors (MOT configs): image size H W (default: the test pipeline\'s); '
                        'recognisers and bare S-ViTs: clip shape T H W (default 16 224 224)')
    parser.add_argument('--frames', type=int, default=None,
                        help='detectors: count the backbone on the first frame and on this one (default: the '
                        'streaming memory length, from which on every frame costs the same)')
    parser.add_argument('--batch', type=int, default=1, help='bare S-ViT: videos per clip batch (default 1)')
    parser.add_argument('--json', help='also write the result to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. model.backbone.attn_mode=space')
    return parser.parse_args(argv)


def main(argv=None) -> Dict:
    args = parse_args(argv)
    cfg = resolve_config(args.config, args.cfg_options)
    is_detector = isinstance(cfg.model.get('detector'), dict) or cfg.get('default_scope') == 'mmdet' and \
        'backbone' in cfg.model and 'neck' in cfg.model
    result = detector_main(cfg, args) if is_detector else clip_main(cfg, args)
    if args.json:
        mmengine.dump(result, args.json, indent=2)
    return result


if __name__ == '__main__':
    main()
