"""Load CLIP's visual tower into an :class:`SViT`.

Accepted files:
  - OpenAI's TorchScript archives (``ViT-B-16.pt``, ``ViT-L-14.pt``),
  - OpenAI-format state dicts: the whole CLIP model (``visual.*`` keys) or the visual tower alone,
  - open_clip checkpoints: ``visual.*`` keys, possibly under ``'state_dict'`` and/or prefixed ``module.``.
Plain state dicts are read with ``torch.load(weights_only=True)``.

CLIP's class-token position is dropped when the model has no class token, and the position embedding is
resized (bicubic) to the model's grid. S-ViT's new parameters (T2D projections, alpha, residual conv
blocks, output norms) keep their own initialisation, except the last output norm of a model built with
``reuse_clip_ln_post=True``, which takes CLIP's ``ln_post``.
"""
import os
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from typing import Dict, List

import torch
import torch.nn.functional as F
from torch import Tensor, nn


@dataclass
class CLIPLoadReport:
    """What :func:`load_clip_visual` did: parameter names of the model and of the checkpoint."""
    path: str
    file_format: str
    loaded: List[str] = field(default_factory=list)  # model tensors copied from the checkpoint
    missing: List[str] = field(default_factory=list)  # model tensors the checkpoint lacks (kept)
    unexpected: List[str] = field(default_factory=list)  # checkpoint tensors the model has no place for

    def summary(self) -> str:
        return '\n'.join([
            f'CLIP visual weights from {self.path} ({self.file_format}):',
            f'  loaded {len(self.loaded)} tensors',
            f'  missing in the checkpoint, keeping their initialisation: {_group(self.missing)}',
            f'  unused from the checkpoint: {_group(self.unexpected)}',
        ])


def _group(names: List[str]) -> str:
    """Compact list of parameter names, block indices folded: 'transformer.resblocks.{0-11}.attn.x'."""
    groups: Dict[str, List[int]] = {}
    for name in names:
        match = re.search(r'\.(\d+)\.', name)
        pattern = name if match is None else name[:match.start()] + '.{}.' + name[match.end():]
        groups.setdefault(pattern, []).append(-1 if match is None else int(match.group(1)))
    parts = []
    for pattern, indices in groups.items():
        if indices == [-1]:
            parts.append(pattern)
            continue
        runs, start = [], indices[0]
        for prev, cur in zip(indices, indices[1:] + [None]):
            if cur != prev + 1 if cur is not None else True:
                runs.append(str(start) if start == prev else f'{start}-{prev}')
                start = cur
        label = runs[0] if len(runs) == 1 and '-' not in runs[0] else '{' + ','.join(runs) + '}'
        parts.append(pattern.replace('{}', label))
    return ', '.join(parts) if parts else 'none'


def _is_torchscript(path: str) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(name.endswith('/constants.pkl') or name == 'constants.pkl' for name in archive.namelist())


def _is_training_checkpoint(path: str) -> bool:
    """Whether ``path`` is an mmengine checkpoint (``meta`` and ``state_dict``), read with svm's safe
    loader, which knows the message hub's types that make torch's weights-only load refuse it. Without
    the OpenMMLab stack (the torch-only core), such a file cannot be read and is not recognised."""
    try:
        from svm.utils.checkpoint import load_checkpoint_file
    except ImportError:  # no mmengine: its message hub's types cannot be unpickled anyway
        return False
    try:
        checkpoint = load_checkpoint_file(path, map_location='cpu')
    except Exception:  # unreadable even so: not a training checkpoint either
        return False
    return isinstance(checkpoint, dict) and 'meta' in checkpoint and 'state_dict' in checkpoint


def _training_checkpoint_error(path: str) -> ValueError:
    return ValueError(f"cannot use {path} as the backbone's pretrained CLIP weights: this is an svm/mmengine "
                      'training checkpoint, not a CLIP checkpoint; use load_from (or --resume) to start from it')


def read_clip_state_dict(path: str) -> tuple:
    """Read a CLIP checkpoint file; returns (visual-tower state dict without prefix, format name)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f'CLIP checkpoint not found: {path}')
    try:
        if _is_torchscript(path):
            with warnings.catch_warnings():  # torch.jit is deprecated, but OpenAI ships CLIP as TorchScript
                warnings.simplefilter('ignore', DeprecationWarning)
                archive = torch.jit.load(path, map_location='cpu')
            state, file_format = archive.state_dict(), 'TorchScript archive'
        else:
            state, file_format = torch.load(path, map_location='cpu', weights_only=True), 'state dict'
    except Exception as e:  # torch raises many types for truncated or foreign files
        # a training checkpoint's message hub makes the weights-only load fail with advice that misleads
        if _is_training_checkpoint(path):
            raise _training_checkpoint_error(path) from e
        raise ValueError(f'cannot read CLIP checkpoint {path}: {type(e).__name__}: {e}') from e
    # mmengine checkpoints have 'meta'; CLIP and open_clip files do not
    from_training = isinstance(state, dict) and 'meta' in state and 'state_dict' in state
    if isinstance(state, dict) and isinstance(state.get('state_dict'), dict):
        state, file_format = state['state_dict'], file_format + " under 'state_dict'"
    if not isinstance(state, dict) or not all(isinstance(v, Tensor) for v in state.values()):
        raise ValueError(f'CLIP checkpoint {path} holds no state dict of tensors')
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
    if any(k.startswith('visual.') for k in state):
        state = {k[len('visual.'):]: v for k, v in state.items() if k.startswith('visual.')}
        file_format += ', visual.* of a whole CLIP model'
    if 'conv1.weight' not in state or 'positional_embedding' not in state:
        if from_training:  # e.g. a checkpoint saved with only meta and state_dict (published)
            raise _training_checkpoint_error(path)
        raise ValueError(f'CLIP checkpoint {path} has no CLIP visual tower: expected keys '
                         f"'visual.conv1.weight' and 'visual.positional_embedding' (or without 'visual.'), "
                         f'found e.g. {sorted(state)[:5]}')
    return state, file_format


def adapt_position_embedding(pos: Tensor, with_cls_token: bool, grid: int) -> Tensor:
    """CLIP's (1 + g * g, C) position embedding for a model with(out) class token and a grid x grid map."""
    cls_pos, patch_pos = pos[:1], pos[1:]
    src = int(round(patch_pos.shape[0]**0.5))
    if src * src != patch_pos.shape[0]:
        raise ValueError(f'CLIP positional_embedding of shape {tuple(pos.shape)} is not 1 + a square grid')
    if src != grid:
        patch_pos = patch_pos.float().reshape(1, src, src, -1).permute(0, 3, 1, 2)
        patch_pos = F.interpolate(patch_pos, size=(grid, grid), mode='bicubic', align_corners=False)
        patch_pos = patch_pos.permute(0, 2, 3, 1).reshape(grid * grid, -1).to(pos.dtype)
    return torch.cat([cls_pos, patch_pos]) if with_cls_token else patch_pos


def load_clip_visual(model: nn.Module, path: str) -> CLIPLoadReport:
    """Copy CLIP's visual tower from ``path`` into ``model`` (an SViT), by parameter name.

    Returns what was loaded; callers log its :meth:`CLIPLoadReport.summary` (``SViT.init_weights`` does).

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: an unreadable file, no CLIP visual tower in it, or tensors of the wrong shape (another
            architecture).
    """
    state, file_format = read_clip_state_dict(path)
    state = dict(state)
    state['positional_embedding'] = adapt_position_embedding(
        state['positional_embedding'], model.with_cls_token, model.img_size // model.patch_size)
    if getattr(model, 'reuse_clip_ln_post', False) and 'ln_post.weight' in state:
        last = len(model.out_norms) - 1
        for name in ('weight', 'bias'):
            state[f'out_norms.{last}.{name}'] = state.pop(f'ln_post.{name}')
    own = model.state_dict()
    mismatched = [f'{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}'
                  for k, v in state.items() if k in own and v.shape != own[k].shape]
    if mismatched:
        raise ValueError(f'CLIP checkpoint {path} does not fit this SViT architecture:\n  ' +
                         '\n  '.join(mismatched))
    usable = {k: v for k, v in state.items() if k in own}
    model.load_state_dict(usable, strict=False)
    return CLIPLoadReport(
        path=path, file_format=file_format, loaded=sorted(usable),
        missing=[k for k in own if k not in usable], unexpected=[k for k in state if k not in own])
