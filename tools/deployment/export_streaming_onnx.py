r"""Export the streaming step of a config's S-ViT to ONNX with the key/value memory as explicit inputs and outputs.

With --verify, the graph runs on onnxruntime beside PyTorch's streaming mode and the two are compared.

    python tools/deployment/export_streaming_onnx.py CONFIG --out FILE [--checkpoint C] [--shape H W] \
        [--frames N] [--verify]

MOT configs export the backbone (model.detector.backbone) and its SimplePyramid (model.detector.neck[0]),
recognition configs the backbone (model.backbone, its tokens). The graph, the same at every frame:

    inputs   frame (B, 3, H, W) float32, normalised as by the model's data preprocessor
             count (1,) int64: frames of the video before this one (0 at its first frame)
             memory_<i> (2, B, L, Hp, Wp, C) float32 per block i with a memory (zeros at the first frame)
    outputs  out_<j>: the backbone's (or the pyramid's) outputs for this frame
             memory_<i>_out, count_out: the next frame's memory_<i> and count

memory_<i>: [0] keys, [1] values, [:, :, s] slot s, a frame on the (window-padded) patch map, channels
head-major; slot s holds a frame iff s < min(count, L) and the empty ones are masked in the attention.
Frame n goes to slot n % L; when full, 'fifo' overwrites the oldest entry and 'merge' first averages it into
the next-oldest (PyTorch's KVMemory, slot for slot). Details: svm/deployment/streaming_onnx.py.

--verify streams N random frames (default 2 L + 2: the memory fills and wraps, the policy acts) through
onnxruntime and through PyTorch (reset_memory(), then frame by frame), compares every output and every
block's memory at every frame, prints `max abs diff <value>` and exits with status 1 above --tolerance.
Without --checkpoint the weights are the modules' initial ones (T2D's gate alpha 1e-4: the outputs hardly
depend on the memory, which the memory comparison covers; the `memory effect` line says by how much).
Needs onnx and onnxruntime: pip install -r requirements/optional_deploy.txt
"""
import argparse
import os
import sys

import mmengine
import torch
from mmengine.config import DictAction

from svm.deployment import (build_streaming_step, export_streaming_onnx, format_graph_io, format_verify_report,
                            require_deploy_packages, verify_streaming_onnx, with_memory_policy)
from svm.models.layers.kv_memory import MEMORY_POLICIES
from svm.utils.checkpoint import set_trust_checkpoints
from svm.utils.config_checks import resolve_config
from svm.utils.user_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog='\n'.join(__doc__.split('\n')[4:]))
    parser.add_argument('config', help='MOT or recognition config with an SViT backbone')
    parser.add_argument('--out', required=True, help='ONNX file to write')
    parser.add_argument('--checkpoint', help='checkpoint of the whole model (default: initial weights)')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='allow a checkpoint that needs full unpickling (only for files you trust)')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'),
                        help="frame size of the graph (default: the backbone's img_size square; MOT: give the "
                             'padded test size, e.g. 800 1440)')
    parser.add_argument('--batch', type=int, default=1, help='videos per call (default 1)')
    parser.add_argument('--memory-policy', choices=MEMORY_POLICIES, help="override the config's memory_policy")
    parser.add_argument('--memory-len', type=int, help="override the config's memory_len (L)")
    parser.add_argument('--opset', type=int, default=17, help='ONNX opset (default 17)')
    parser.add_argument('--verify', action='store_true', help='compare onnxruntime with PyTorch streaming')
    parser.add_argument('--frames', type=int, help='frames of the --verify video (default 2 L + 2)')
    parser.add_argument('--tolerance', type=float, default=1e-4,
                        help='largest max abs diff --verify accepts (default 1e-4)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the --verify frames')
    parser.add_argument('--reference-policy', choices=MEMORY_POLICIES,
                        help='give PyTorch this memory policy in --verify instead of the exported one '
                             '(a check of the check: a different policy must fail)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, e.g. model.detector.backbone.window_size=7')
    args = parser.parse_args(argv)
    # refused before anything is exported: --frames 0 would verify nothing and report "OK"
    for name, value, least in (('--frames', args.frames, 1), ('--batch', args.batch, 1),
                               ('--memory-len', args.memory_len, 1), ('--tolerance', args.tolerance, 0)):
        if value is not None and not value >= least:
            parser.error(f'{name} must be at least {least}, got {value}')
    if args.shape is not None and min(args.shape) < 1:
        parser.error(f'--shape H W must be positive, got {" ".join(map(str, args.shape))}')
    if args.frames is not None and not args.verify:
        parser.error('--frames is the length of the --verify video: give --verify too')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        require_deploy_packages(runtime=args.verify)
    except ImportError as err:
        sys.exit(f'error: {err}')
    if args.trust_checkpoint:
        set_trust_checkpoints(True)
    cfg = resolve_config(args.config, args.cfg_options)
    step = build_streaming_step(cfg, args.checkpoint, args.memory_policy, args.memory_len)
    H, W = args.shape or [step.backbone.img_size] * 2
    L = step.memory_len
    memory = (f'memory_len L={L}, memory_policy={step.memory_policy}, blocks with a memory '
              f'{list(step.memory_blocks)}' if step.memory_blocks else 'no memory')
    print(f'{args.config}: {"SViT + SimplePyramid" if step.neck is not None else "SViT"}, '
          f'attn_mode={step.backbone.attn_mode}, {memory}, frame (B, 3, H, W) = ({args.batch}, 3, {H}, {W}), '
          f'weights: {args.checkpoint or "initial (no --checkpoint)"}')
    mmengine.mkdir_or_exist(os.path.dirname(os.path.abspath(args.out)))
    info = export_streaming_onnx(step, args.out, H, W, args.batch, args.opset)
    print(f'wrote {args.out} (opset {args.opset})')
    print(format_graph_io(info))
    if not args.verify:
        return 0

    num_frames = args.frames if args.frames is not None else 2 * L + 2
    if num_frames <= L:
        print(f'warning: --frames {num_frames} <= L = {L}: the memory never fills and the policy never acts')
    reference = None
    if args.reference_policy is not None and args.reference_policy != step.memory_policy:
        reference = with_memory_policy(step, args.reference_policy)
    frames = torch.randn(num_frames, args.batch, 3, H, W, generator=torch.Generator().manual_seed(args.seed))
    result = verify_streaming_onnx(args.out, step, frames, reference)
    print(format_verify_report(result))
    if not result['max_abs_diff'] <= args.tolerance:  # NaN fails too
        worst = max(range(num_frames), key=lambda t: result['per_frame'][t])
        print(f'FAILED: above the tolerance {args.tolerance:g} (largest at frame {worst})', file=sys.stderr)
        return 1
    print(f'OK: within the tolerance {args.tolerance:g}')
    return 0


if __name__ == '__main__':
    sys.exit(run_main(main))
