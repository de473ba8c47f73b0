"""CLIP initialisation of SViT from the three checkpoint formats, and clear errors on bad files."""
import logging
from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from svm.models.backbones import SViT
from svm.models.backbones.clip_checkpoint import load_clip_visual

WIDTH, LAYERS, HEADS, PATCH, RES = 32, 2, 4, 4, 16
TINY = dict(embed_dims=WIDTH, num_layers=LAYERS, num_heads=HEADS, patch_size=PATCH)


class QuickGELU(nn.Module):

    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    """OpenAI CLIP's ResidualAttentionBlock."""

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(WIDTH, HEADS)
        self.ln_1 = nn.LayerNorm(WIDTH)
        self.mlp = nn.Sequential(
            OrderedDict(c_fc=nn.Linear(WIDTH, WIDTH * 4), gelu=QuickGELU(), c_proj=nn.Linear(WIDTH * 4, WIDTH)))
        self.ln_2 = nn.LayerNorm(WIDTH)

    def forward(self, x):
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):

    def __init__(self):
        super().__init__()
        self.resblocks = nn.Sequential(*[Block() for _ in range(LAYERS)])

    def forward(self, x):
        return self.resblocks(x)


class VisionTransformer(nn.Module):
    """OpenAI CLIP's visual tower, tiny; forward returns the tokens of the last block, (N, 1 + hw, C)."""

    def __init__(self):
        super().__init__()
        grid = RES // PATCH
        self.conv1 = nn.Conv2d(3, WIDTH, PATCH, PATCH, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(WIDTH))
        self.positional_embedding = nn.Parameter(torch.randn(grid * grid + 1, WIDTH))
        self.ln_pre = nn.LayerNorm(WIDTH)
        self.transformer = Transformer()
        self.ln_post = nn.LayerNorm(WIDTH)
        self.proj = nn.Parameter(torch.randn(WIDTH, 16))

    def forward(self, x):
        x = self.conv1(x).flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(x.shape[0], 1, WIDTH)
        x = self.ln_pre(torch.cat([cls, x], 1) + self.positional_embedding)
        return self.transformer(x.transpose(0, 1)).transpose(0, 1)


class CLIP(nn.Module):
    """The parts of OpenAI's CLIP whose names matter: a visual tower and text parameters around it."""

    def __init__(self):
        super().__init__()
        self.visual = VisionTransformer()
        self.positional_embedding = nn.Parameter(torch.randn(7, WIDTH))  # the text one: must be ignored
        self.token_embedding = nn.Embedding(10, WIDTH)
        self.logit_scale = nn.Parameter(torch.ones([]))

    def forward(self, image):
        return self.visual(image)


@pytest.fixture(scope='module')
def clip():
    torch.manual_seed(0)
    model = CLIP().eval()
    for p in model.parameters():  # LayerNorms away from their defaults, so copying them is visible
        p.data.add_(0.1 * torch.randn_like(p))
    return model


def assert_copied(model: SViT, clip: CLIP):
    visual = clip.visual
    blk, ref = model.blocks[1], visual.transformer.resblocks[1]
    torch.testing.assert_close(model.conv1.weight, visual.conv1.weight)
    torch.testing.assert_close(model.ln_pre.bias, visual.ln_pre.bias)
    torch.testing.assert_close(blk.attn.in_proj_weight, ref.attn.in_proj_weight)
    torch.testing.assert_close(blk.attn.out_proj.bias, ref.attn.out_proj.bias)
    torch.testing.assert_close(blk.mlp.c_fc.weight, ref.mlp.c_fc.weight)
    torch.testing.assert_close(blk.ln_2.weight, ref.ln_2.weight)


def test_torchscript_archive_and_equivalence(clip, tmp_path):
    path = tmp_path / 'ViT-tiny.pt'
    torch.jit.save(torch.jit.trace(clip, torch.randn(1, 3, RES, RES)), str(path))
    model = SViT(arch=TINY, img_size=RES, attn_mode='stream', out_type='tokens')
    report = load_clip_visual(model, str(path))
    assert report.file_format.startswith('TorchScript archive')
    assert_copied(model, clip)
    torch.testing.assert_close(model.class_embedding, clip.visual.class_embedding)
    torch.testing.assert_close(model.positional_embedding, clip.visual.positional_embedding)
    assert all(torch.equal(b.attn.t2d_alpha, torch.full((WIDTH, ), 1e-4)) for b in model.blocks)  # kept
    assert {'ln_post.weight', 'ln_post.bias', 'proj'} == set(report.unexpected)
    assert all(k.startswith(('out_norms', 'transformer.resblocks')) for k in report.missing)
    assert all('t2d' in k for k in report.missing if k.startswith('transformer'))
    assert 'transformer.resblocks.{0-1}.attn.t2d_alpha' in report.summary()

    # With T2D off and identity output norm, the loaded SViT computes exactly CLIP's tokens.
    for b in model.blocks:
        nn.init.zeros_(b.attn.t2d_alpha)
    image = torch.randn(2, 3, RES, RES)
    with torch.no_grad():
        ours, = model(image)
        theirs = F.layer_norm(clip(image), (WIDTH, ))
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize('layout', ['whole', 'visual_only', 'open_clip'])
def test_state_dict_formats(clip, tmp_path, layout):
    if layout == 'whole':
        state = clip.state_dict()
    elif layout == 'visual_only':
        state = clip.visual.state_dict()
    else:
        state = dict(epoch=3, name='tiny', state_dict={'module.' + k: v for k, v in clip.state_dict().items()})
    path = tmp_path / f'{layout}.pt'
    torch.save(state, path)
    model = SViT(arch=TINY, img_size=RES, attn_mode='clip', residual_block_indices=(0, ))
    report = load_clip_visual(model, str(path))
    assert_copied(model, clip)
    assert len(report.loaded) == len(clip.visual.state_dict()) - 3  # all but ln_post and proj
    assert any(k.startswith('conv_blocks.0.') for k in report.missing)


def test_drop_class_position_and_resize(clip, tmp_path):
    path = tmp_path / 'visual.pt'
    torch.save(clip.visual.state_dict(), path)
    model = SViT(arch=TINY, img_size=24, with_cls_token=False, window_size=2)  # 6 x 6 grid, CLIP's is 4 x 4
    report = load_clip_visual(model, str(path))
    grid = clip.visual.positional_embedding[1:].reshape(1, 4, 4, WIDTH).permute(0, 3, 1, 2)
    expected = F.interpolate(grid, size=(6, 6), mode='bicubic', align_corners=False)
    torch.testing.assert_close(model.positional_embedding, expected.permute(0, 2, 3, 1).reshape(36, WIDTH))
    assert 'class_embedding' in report.unexpected
    assert_copied(model, clip)


def test_bad_files(clip, tmp_path):
    model = SViT(arch=TINY, img_size=RES)
    with pytest.raises(FileNotFoundError, match='nowhere.pt'):
        load_clip_visual(model, str(tmp_path / 'nowhere.pt'))
    corrupt = tmp_path / 'corrupt.pt'
    corrupt.write_bytes(b'\x80\x04not a checkpoint at all')
    with pytest.raises(ValueError, match='corrupt.pt'):
        load_clip_visual(model, str(corrupt))
    other = tmp_path / 'resnet.pt'
    torch.save({'layer1.weight': torch.zeros(2)}, other)
    with pytest.raises(ValueError, match='no CLIP visual tower'):
        load_clip_visual(model, str(other))
    bigger = tmp_path / 'wide.pt'
    torch.save({k: torch.zeros(*v.shape[:-1], 2 * v.shape[-1]) for k, v in clip.visual.state_dict().items()}, bigger)
    with pytest.raises(ValueError, match='does not fit'):
        load_clip_visual(model, str(bigger))


def test_pretrained_in_init_weights(clip, tmp_path):
    path = tmp_path / 'whole.pt'
    torch.save(clip.state_dict(), path)
    model = SViT(arch=TINY, img_size=RES, pretrained=str(path))
    model.init_weights()
    assert_copied(model, clip)


def test_init_weights_reports_through_python_logging(clip, tmp_path, caplog):
    """The torch-only SViT logs what it loaded with Python's logging (no mmengine logger)."""
    path = tmp_path / 'whole.pt'
    torch.save(clip.state_dict(), path)
    model = SViT(arch=TINY, img_size=RES, pretrained=str(path))
    with caplog.at_level(logging.INFO, logger='svm.models.backbones.svit'):
        model.init_weights()
    assert f'CLIP visual weights from {path}' in caplog.text and 'missing in the checkpoint' in caplog.text


def test_reuse_clip_ln_post_puts_it_on_the_last_output(clip, tmp_path):
    """The release's choice: the last block's output norm starts from CLIP's ln_post; the others are new."""
    path = tmp_path / 'clip.pth'
    torch.save(clip.state_dict(), path)
    model = SViT(arch=TINY, img_size=RES, window_size=2, with_cls_token=False, out_indices=(0, 1),
                 reuse_clip_ln_post=True)
    report = load_clip_visual(model, str(path))
    torch.testing.assert_close(model.out_norms[1].weight, clip.visual.ln_post.weight)
    torch.testing.assert_close(model.out_norms[1].bias, clip.visual.ln_post.bias)
    assert torch.equal(model.out_norms[0].weight, torch.ones(WIDTH))  # new
    assert 'out_norms.1.weight' in report.loaded and 'ln_post.weight' not in report.unexpected
    with pytest.raises(ValueError, match=r'reuse_clip_ln_post=True .* do not include block 1'):
        SViT(arch=TINY, img_size=RES, out_indices=(0, ), reuse_clip_ln_post=True)
