"""The S-ViT core needs only torch: it builds, trains and streams with the OpenMMLab stack absent, while
svm's other modules say what to install. With the stack, configs build it as an mmengine module whose
``init_cfg`` works, in both model registries."""
import subprocess
import sys

import pytest
import torch

from svm.models.backbones import SViT
from svm.models.layers import DropPath
from helpers import REPO_ROOT
from svm.utils.dependencies import HOW_TO_INSTALL, IMPORT_NAMES

TINY = dict(embed_dims=32, num_layers=2, num_heads=4, patch_size=4)

# Runs in a fresh interpreter. A None entry in sys.modules makes `import name` raise ModuleNotFoundError
# and importlib.util.find_spec(name) return None, as for a package that is not installed.
TORCH_ONLY_SCRIPT = '''
import sys
HIDDEN = {hidden!r}
for name in HIDDEN:
    sys.modules[name] = None

import torch
from svm.models.backbones.svit import SViT

torch.manual_seed(0)
model = SViT(arch={tiny!r}, img_size=16, attn_mode='stream', window_size=2, with_cls_token=False,
             memory_len=4, out_indices=(0, 1), residual_block_indices=(0, ), drop_path_rate=0.1)
for blk in model.blocks:  # a large T2D gate, so that the memory changes the outputs
    torch.nn.init.normal_(blk.attn.t2d_alpha)
clip = torch.randn(1, 2, 3, 16, 16)

model.train()
loss = sum(out.square().mean() for out in model(clip))  # parallel mode: both frames at once, causal mask
loss.backward()
assert all(p.grad is not None for p in model.parameters())

model.eval()
with torch.no_grad():
    parallel = model(clip)
    model.reset_memory()
    steps = [model(clip[:, t]) for t in range(2)]
    space = SViT(arch={tiny!r}, img_size=16, attn_mode='space', window_size=2, with_cls_token=False,
                 out_indices=(0, 1), residual_block_indices=(0, )).eval()
    space.load_state_dict(model.state_dict(), strict=False)
    frame_based = space(clip)
for i, out in enumerate(parallel):
    streamed = torch.stack([step[i] for step in steps], 1).flatten(0, 1)
    torch.testing.assert_close(out, streamed, atol=1e-5, rtol=0)
assert (parallel[-1][1] - frame_based[-1][1]).abs().max() > 1e-2  # frame 1 saw frame 0
assert model.memory_nbytes == 2 * 2 * 4 * 16 * 32 * 4  # blocks x (k, v) x L x 4 x 4 x C fp32, one copy

for feature in ('svm.apis', 'svm.registry', 'svm.evaluation', 'svm.models.mot'):
    try:
        __import__(feature)
    except ImportError as err:
        assert {how!r} in str(err) and feature in str(err), err
    else:
        raise AssertionError(feature + ' imported without the OpenMMLab stack')

leaked = sorted(name for name, module in sys.modules.items()
                if name.split('.')[0] in HIDDEN and module is not None)
assert not leaked, leaked
print('torch-only core OK')
'''


def test_core_builds_trains_and_streams_without_openmmlab():
    script = TORCH_ONLY_SCRIPT.format(hidden=tuple(IMPORT_NAMES.values()), tiny=TINY, how=HOW_TO_INSTALL)
    proc = subprocess.run([sys.executable, '-c', script], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'torch-only core OK' in proc.stdout


def test_registered_in_both_scopes_as_an_mmengine_module():
    from mmengine.model import BaseModule

    from svm.registry import MMACTION_MODELS, MMDET_MODELS
    registered = MMDET_MODELS.get('SViT')
    assert registered is MMACTION_MODELS.get('SViT')
    assert issubclass(registered, SViT) and issubclass(registered, BaseModule) and registered.__name__ == 'SViT'
    assert not issubclass(SViT, BaseModule)  # the core stays plain torch


def test_init_cfg_constant_and_pretrained_with_prefix(tmp_path):
    from svm.registry import MMDET_MODELS
    cfg = dict(type='SViT', arch=TINY, img_size=16, attn_mode='stream')
    model = MMDET_MODELS.build(dict(cfg, init_cfg=dict(type='Constant', layer='Linear', val=0.5, bias=0.)))
    model.init_weights()
    assert torch.all(model.blocks[1].mlp.c_fc.weight == 0.5) and torch.all(model.blocks[1].mlp.c_fc.bias == 0)

    # a detector's checkpoint: the backbone's weights under 'backbone.'
    torch.manual_seed(1)
    source = MMDET_MODELS.build(cfg)
    checkpoint = tmp_path / 'detector.pth'
    torch.save(dict(meta=dict(), state_dict={f'backbone.{k}': v for k, v in source.state_dict().items()}),
               checkpoint)
    torch.manual_seed(2)
    model = MMDET_MODELS.build(
        dict(cfg, init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint), prefix='backbone.')))
    assert not torch.equal(model.positional_embedding, source.positional_embedding)
    model.init_weights()
    for name, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[name], value), name


def test_init_cfg_before_clip_weights(tmp_path):
    """init_cfg first, then the CLIP weights of ``pretrained`` over it; T2D, which CLIP lacks, keeps init_cfg's."""
    from svm.registry import MMACTION_MODELS
    clip = SViT(arch=TINY, img_size=16, attn_mode='space', out_indices=())
    path = tmp_path / 'clip.pt'
    torch.save({f'visual.{k}': v for k, v in clip.state_dict().items()}, path)
    model = MMACTION_MODELS.build(
        dict(type='SViT', arch=TINY, img_size=16, pretrained=str(path),
             init_cfg=dict(type='Constant', layer='Linear', val=0.5, bias=0.)))
    model.init_weights()
    assert torch.equal(model.blocks[0].mlp.c_fc.weight, clip.blocks[0].mlp.c_fc.weight)
    assert torch.all(model.blocks[0].attn.t2d_q_proj.weight == 0.5)


def test_drop_path_draws_as_mmcv():
    """The same seed drops the same samples, with the same scaling, as mmcv's DropPath did."""
    from mmcv.cnn.bricks import DropPath as MMCVDropPath
    x = torch.randn(64, 5, 8)
    outs = []
    for layer in (DropPath(0.3), MMCVDropPath(0.3)):
        torch.manual_seed(0)
        outs.append(layer.train()(x))
    assert torch.equal(outs[0], outs[1])
    dropped = (outs[0] == 0).flatten(1).all(1)
    assert 0 < dropped.sum() < 64 and torch.allclose(outs[0][~dropped], x[~dropped] / 0.7)
    assert DropPath(0.3).eval()(x) is x
    with pytest.raises(ValueError, match='drop_prob'):
        DropPath(1.0)
