"""Convert the authors' released S-ViT tracker (github yuzhms/Streaming-Video-Model) to svm's layout.

The release is an mmcv 1.x / mmdet 2.26 ``ByteTrack`` checkpoint: ``meta``, ``state_dict`` and possibly
``optimizer``. Its detector holds the S-ViT backbone with the pyramid adapter inside it
(``detector.backbone.fpn_adaptor``), a YOLOX PAFPN neck and a YOLOX head. In svm the adapter is the first
neck of the detector (:class:`SimplePyramid`, ``detector.neck.0``), the PAFPN the second
(``detector.neck.1``); the head keeps its names (mmdet 2.26 and 3.3 name YOLOXHead's layers alike).

Backbone keys (release -> svm):
    transformer.resblocks.i.attn.in_proj_weight_t / in_proj_bias_t -> ....attn.t2d_q_proj.weight / bias
    transformer.resblocks.i.attn.out_proj_t.*                       -> ....attn.t2d_out_proj.*
    transformer.resblocks.i.attn.alpha                              -> ....attn.t2d_alpha
    transformer.resblocks.i.residual_block.*                        -> conv_blocks.i.*
    ln_post_out0, ln_post_out1, ln_post_out2, ln_post (those present, in this order) -> out_norms.0, 1, ...
    fpn_adaptor.fpn_adaptor_k.j.*  -> detector.neck.0.stages.k.j.*, j + 1 in the stage without a resize
                                      layer (x1), where svm keeps an Identity at index 0
Everything else of the backbone (CLIP's names) is unchanged.

mmdet 2.x's ``ExpMomentumEMAHook`` keeps ``ema_*`` buffers in the model; it swaps them with the
parameters at the end of every epoch before the checkpoint is saved, so a saved checkpoint's parameters
are the EMA weights (those the release evaluates) and its ``ema_*`` buffers the raw training weights.
The converter keeps the parameters and drops the buffers and the optimizer state.
"""
import os
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Sequence, Set, Tuple

import torch

from mmengine.runner.checkpoint import save_checkpoint
from torch import Tensor

from svm.utils.checkpoint import add_checksum, enable_safe_checkpoint_io, load_checkpoint_file
from svm.utils.output_files import check_not_an_input

RELEASE_BACKBONE = 'detector.backbone.'
RELEASE_ADAPTER = RELEASE_BACKBONE + 'fpn_adaptor.fpn_adaptor_'
# keys every release tracker has (first attention block, the adapter's first stage)
RELEASE_MARKERS = (RELEASE_BACKBONE + 'transformer.resblocks.0.attn.in_proj_weight', RELEASE_ADAPTER + '0.')
RELEASE_OUT_NORMS = ('ln_post_out0', 'ln_post_out1', 'ln_post_out2', 'ln_post')
ATTN_RENAMES = (
    ('.attn.in_proj_weight_t', '.attn.t2d_q_proj.weight'),
    ('.attn.in_proj_bias_t', '.attn.t2d_q_proj.bias'),
    ('.attn.out_proj_t.', '.attn.t2d_out_proj.'),
    ('.attn.alpha', '.attn.t2d_alpha'),
)


class NotAReleaseCheckpointError(ValueError):
    """The file is not a checkpoint of the S-ViT release's tracker."""


@dataclass
class ReleaseConversion:
    """What :func:`convert_release_state_dict` did."""
    state_dict: Dict[str, Tensor]
    renamed: List[Tuple[str, str]] = field(default_factory=list)  # (release key, svm key), names changed
    rules: Dict[str, int] = field(default_factory=dict)  # renaming rule ('old pattern -> new pattern'): keys
    kept: List[str] = field(default_factory=list)  # keys whose names svm shares
    dropped_ema: List[str] = field(default_factory=list)
    dropped_sections: List[str] = field(default_factory=list)  # top-level checkpoint entries, e.g. optimizer

    def summary(self) -> str:
        lines = [f'{len(self.state_dict)} tensors: {len(self.kept)} kept as they are, '
                 f'{len(self.renamed)} renamed:']
        lines += [f'  {rule}  ({count})' for rule, count in sorted(self.rules.items())]
        if self.dropped_ema:
            lines.append(f'dropped {len(self.dropped_ema)} ema_* buffers of mmdet 2.x\'s EMA hook (the raw '
                         'training weights; the parameters already hold the EMA weights the release evaluates)')
        if self.dropped_sections:
            lines.append(f'dropped {", ".join(self.dropped_sections)} (the release\'s training state, needed '
                         'neither to test nor to fine-tune)')
        return '\n'.join(lines)


def _unchanged_adapter_stages(state: Dict[str, Tensor]) -> Set[int]:
    """Adapter stages without a resize layer: their layers are 0-3 (conv, norm, conv, norm), where the x2
    stage has a transposed conv at 0 and the x0.5 stage a max-pool (no tensors) at 0, so layers up to 4."""
    last_layer: Dict[int, int] = {}
    for key in state:
        if key.startswith(RELEASE_ADAPTER):
            stage, layer = key[len(RELEASE_ADAPTER):].split('.')[:2]
            last_layer[int(stage)] = max(last_layer.get(int(stage), -1), int(layer))
    return {stage for stage, layer in last_layer.items() if layer == 3}


def convert_release_state_dict(state: Dict[str, Tensor]) -> ReleaseConversion:
    """Rename a release ByteTrack state dict into svm's StreamingByteTrack layout.

    Raises:
        NotAReleaseCheckpointError: the state dict lacks the release's backbone or adapter keys.
    """
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
    missing = [m for m in RELEASE_MARKERS if not any(k.startswith(m) for k in state)]
    if missing:
        raise NotAReleaseCheckpointError(
            f'no key starting with {", ".join(missing)}: this is not a checkpoint of the S-ViT release\'s '
            f'tracker (found e.g. {sorted(state)[:4]})')
    resize_free = _unchanged_adapter_stages(state)
    out_norms = [n for n in RELEASE_OUT_NORMS if any(k.startswith(f'{RELEASE_BACKBONE}{n}.') for k in state)]
    result = ReleaseConversion(state_dict={})
    for key, value in state.items():
        if key.startswith('ema_'):
            result.dropped_ema.append(key)
            continue
        new, rule = _release_key_to_svm(key, resize_free, out_norms)
        if new in result.state_dict:
            raise NotAReleaseCheckpointError(f'two keys map to {new}: this is not a release checkpoint layout')
        result.state_dict[new] = value
        if new == key:
            result.kept.append(key)
        else:
            result.renamed.append((key, new))
            result.rules[rule] = result.rules.get(rule, 0) + 1
    return result


def _release_key_to_svm(key: str, resize_free: Set[int], out_norms: Sequence[str]) -> Tuple[str, str]:
    """svm's name of the release ``key`` and the rule that gives it, as the summary lists it (``''`` for a name
    svm shares). ``resize_free``: the adapter stages without a resize layer; ``out_norms``: the release's output
    norms present, in order."""
    if key.startswith(RELEASE_ADAPTER):
        stage, layer, rest = key[len(RELEASE_ADAPTER):].split('.', 2)
        if int(stage) in resize_free:  # svm keeps an Identity at index 0 of the stage
            return (f'detector.neck.0.stages.{stage}.{int(layer) + 1}.{rest}',
                    f'{RELEASE_ADAPTER}{stage}.{{j}}.* -> detector.neck.0.stages.{stage}.{{j+1}}.*')
        return (f'detector.neck.0.stages.{stage}.{layer}.{rest}',
                f'{RELEASE_ADAPTER}{{k}}.{{j}}.* -> detector.neck.0.stages.{{k}}.{{j}}.*')
    if key.startswith('detector.neck.'):
        return 'detector.neck.1.' + key[len('detector.neck.'):], 'detector.neck.* -> detector.neck.1.*'
    if not key.startswith(RELEASE_BACKBONE):
        return key, ''
    name = key[len(RELEASE_BACKBONE):]
    head, _, rest = name.partition('.')
    if head in out_norms:
        index = out_norms.index(head)
        return (f'{RELEASE_BACKBONE}out_norms.{index}.{rest}',
                f'{RELEASE_BACKBONE}{head}.* -> {RELEASE_BACKBONE}out_norms.{index}.*')
    blocks = RELEASE_BACKBONE + 'transformer.resblocks.{i}'
    new = re.sub(r'^transformer\.resblocks\.(\d+)\.residual_block\.', r'conv_blocks.\1.', name)
    if new != name:
        return RELEASE_BACKBONE + new, f'{blocks}.residual_block.* -> {RELEASE_BACKBONE}conv_blocks.{{i}}.*'
    for old, replacement in ATTN_RENAMES:
        if old in name:
            tail = '*' if old.endswith('.') else ''
            return (RELEASE_BACKBONE + name.replace(old, replacement),
                    f'{blocks}{old}{tail} -> {blocks}{replacement}{tail}')
    return key, ''


def convert_release_checkpoint(src: str, dst: str, overwrite: bool = False) -> ReleaseConversion:
    """Read the release checkpoint ``src`` safely and write svm's checkpoint ``dst``.

    ``dst`` holds ``state_dict`` and ``meta`` (the release's meta under ``release_meta``, and the tensors'
    checksum that svm's loader verifies); the optimizer state and the EMA buffers are dropped. It is
    written atomically, as every checkpoint svm saves. Loading uses svm's safe loader: the release's meta holds only
    builtins and numpy scalars (evaluation scores); anything else is refused with its type named.

    Raises:
        FileNotFoundError: no file at ``src``.
        NotAReleaseCheckpointError: ``src`` holds no release tracker state dict.
        FileExistsError: ``dst`` is ``src`` (through links too) and not ``overwrite``.
    """
    check_not_an_input(dst, [src], overwrite)
    checkpoint = load_checkpoint_file(src, map_location='cpu')
    if not isinstance(checkpoint, dict):
        raise NotAReleaseCheckpointError(f'{src} holds a {type(checkpoint).__name__}, not an mmcv checkpoint dict')
    state = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state, dict) or not all(isinstance(v, Tensor) for v in state.values()):
        raise NotAReleaseCheckpointError(f'{src} has no state dict of tensors')
    try:
        result = convert_release_state_dict(state)
    except NotAReleaseCheckpointError as err:
        raise NotAReleaseCheckpointError(f'{src}: {err}') from None
    result.dropped_sections = sorted(k for k in checkpoint if k not in ('state_dict', 'meta'))
    meta = dict(converted_from=osp.abspath(src), converter='svm.models.mot.release_checkpoint',
                release_meta=checkpoint.get('meta', {}))
    converted = dict(meta=meta, state_dict=result.state_dict)
    add_checksum(converted)
    enable_safe_checkpoint_io()
    save_checkpoint(converted, dst)  # through svm's atomic local file backend
    return result



def svm_to_release_state_dict(state: Mapping[str, Any],
                              scale_factors: Sequence[float] = (2.0, 1.0, 0.5)) -> Dict[str, Any]:
    """An svm ``StreamingByteTrack`` state dict (S-ViT + SimplePyramid + YOLOX) under the key names of the authors'
    release (mmcv 1.x ByteTrack, the pyramid adapter inside the backbone): the inverse of
    :func:`convert_release_state_dict`, built from its key mapping.

    ``scale_factors``: those of the model's SimplePyramid (``detector.neck.0``); svm keeps an Identity at index 0
    of the x1 stage, which the release's adapter does not have. The output norms take the last of the release's
    names (``ln_post_out0, ln_post_out1, ln_post_out2, ln_post``), as many as the model has, in order.

    Raises:
        ValueError: a key that no release tracker has a name for (e.g. a neck other than pyramid + PAFPN).
    """
    pyramid, pafpn, out_norm = 'detector.neck.0.stages.', 'detector.neck.1.', RELEASE_BACKBONE + 'out_norms.'
    norms = sorted({int(k[len(out_norm):].split('.')[0]) for k in state if k.startswith(out_norm)})
    if len(norms) > len(RELEASE_OUT_NORMS) or norms != list(range(len(norms))):
        raise ValueError(f'output norms {norms}: the release has at most {len(RELEASE_OUT_NORMS)}, numbered from 0')
    norm_names = RELEASE_OUT_NORMS[len(RELEASE_OUT_NORMS) - len(norms):]
    release: Dict[str, Any] = {}
    for key, value in state.items():
        key = key[len('module.'):] if key.startswith('module.') else key
        new = key
        if key.startswith(pyramid):
            stage, layer, rest = key[len(pyramid):].split('.', 2)
            if int(stage) >= len(scale_factors):
                raise ValueError(f'{key}: pyramid stage {stage}, but scale_factors has {len(scale_factors)} entries')
            layer = int(layer) - (float(scale_factors[int(stage)]) == 1.0)
            new = f'{RELEASE_ADAPTER}{stage}.{layer}.{rest}'
        elif key.startswith(pafpn):
            new = 'detector.neck.' + key[len(pafpn):]
        elif key.startswith('detector.neck.'):
            raise ValueError(f'{key}: the release has a pyramid adapter (neck.0) and a PAFPN (neck.1) only')
        elif key.startswith(out_norm):
            index, rest = key[len(out_norm):].split('.', 1)
            new = f'{RELEASE_BACKBONE}{norm_names[int(index)]}.{rest}'
        elif key.startswith(RELEASE_BACKBONE):
            name = re.sub(r'^conv_blocks\.(\d+)\.', r'transformer.resblocks.\1.residual_block.',
                          key[len(RELEASE_BACKBONE):])
            for release_name, svm_name in ATTN_RENAMES:
                name = name.replace(svm_name, release_name)
            new = RELEASE_BACKBONE + name
        if new in release:
            raise ValueError(f'two keys map to {new}')
        release[new] = value
    return release


def write_release_checkpoint(state: Mapping[str, Any], path: str,
                             scale_factors: Sequence[float] = (2.0, 1.0, 0.5), **meta) -> str:
    """Save ``state`` (svm's names) as the release saved its tracker: an mmcv 1.x checkpoint dict with ``meta``,
    ``state_dict`` in the release's names (:func:`svm_to_release_state_dict`) and an (empty) ``optimizer``.
    Returns ``path``."""
    checkpoint = dict(meta=dict(mmcv_version='1.7.0', epoch=meta.pop('epoch', 0), iter=meta.pop('iter', 0), **meta),
                      state_dict=svm_to_release_state_dict(state, scale_factors),
                      optimizer=dict(state={}, param_groups=[]))
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    torch.save(checkpoint, path)
    return path
