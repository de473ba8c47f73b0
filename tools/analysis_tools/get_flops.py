"""FLOPs of a config's model (fvcore: 1 multiply-add = 1 flop); the counting is svm/analysis/get_flops.py.

- MOT configs (a ``model.detector``, e.g. YOLOX or Faster R-CNN on S-ViT): the whole detector per frame
  at an image size ``--shape H W`` (default: the test pipeline's), in a table per part: S-ViT backbone
  (on the first frame of a video, empty memory, and once its memory is full), each neck module (pyramid
  adapter, PAFPN / FPN) and the heads. The tracker has no network and is not counted::

    python tools/analysis_tools/get_flops.py \
        configs/mot/svm/bytetrack_svit-b16_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth.py --shape 800 1440

- Whole recognisers (``model.type='SViTRecognizer'``, configs/recognition/svm/): per view (one clip of
  T frames, ``--shape T H W``, default: the test pipeline's clip length and crop; encoder plus temporal
  decoder and classifier) and per video (times the clips x crops of the config's test pipeline)::

    python tools/analysis_tools/get_flops.py \
        configs/recognition/svm/svm_stream-b16_clip-pre_8xb8-16x4x1-30e_kinetics400-rgb.py --shape 16 224 224

- A bare S-ViT (``model`` is one, or holds one as ``model.backbone``): per frame and per clip of
  ``--shape T H W``; 'stream' frame by frame in streaming mode, 'space' and 'clip' in parallel mode::

    python tools/analysis_tools/get_flops.py configs/_base_/models/svit-b16-stream.py --shape 16 224 224
"""
import argparse
from typing import Dict

import mmengine
from mmengine.config import DictAction

from svm.analysis.get_flops import config_flops, format_config_flops
from svm.utils.config_checks import resolve_config
from svm.utils.user_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split('\n', 1)[1])
    parser.add_argument('config', help='config file')
    parser.add_argument('--shape', type=int, nargs='+', default=None, metavar='N',
                        help='detectors (MOT configs): image size H W (default: the test pipeline\'s); '
                        'recognisers and bare S-ViTs: clip shape T H W (default: the test pipeline\'s clip length '
                        'and crop, else 16 224 224)')
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
    result = config_flops(cfg, args.config, args.shape, args.frames, args.batch)
    print(format_config_flops(result))
    if args.json:
        mmengine.dump(result, args.json, indent=2)
    return result


if __name__ == '__main__':
    run_main(main)
