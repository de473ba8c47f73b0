"""The authors' released tracker loads into svm: fixtures made with the release's own code
(tests/data/release/README.md) reproduce the release's features, and a full-size release key set
converts, loads strictly into the release test config's model and runs through tools/test.py."""
import json
import os.path as osp
import pickle

import pytest
import torch

from svm.models.mot.release_checkpoint import (NotAReleaseCheckpointError, convert_release_checkpoint,
                                               convert_release_state_dict, svm_to_release_state_dict)
from helpers import REPO_ROOT, load_script, run_tool, tiny_data_options
from svm.utils.checkpoint import UnsafeCheckpointError, load_checkpoint_file

DATA = osp.join(REPO_ROOT, 'tests', 'data', 'release')
TINY_CKPT = osp.join(DATA, 'release_tiny_svit.pth')
RELEASE_TEST = osp.join(
    REPO_ROOT, 'configs/mot/svm/'
    'bytetrack_svit-b16-release_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth_test-mot17halfval.py')
CONVERTER = 'tools/model_converters/svm_release_to_svm.py'


def strip(state: dict, prefix: str) -> dict:
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}


def tiny_svit_and_pyramid(memory_policy: str = 'merge'):
    """svm's counterpart of the fixture's release model (SViT(width=32, layers=4, heads=2, window 2,
    input_resolution 64, stage_segment (0, 1, 2, 3), out_indices (1, 2, 3), residual blocks 0-3,
    num_frames 3))."""
    from svm.models.backbones import SViT
    from svm.models.necks import SimplePyramid
    svit = SViT(arch=dict(embed_dims=32, num_layers=4, num_heads=2, patch_size=16), img_size=64,
                attn_mode='stream', window_size=2, memory_len=3, memory_policy=memory_policy,
                with_cls_token=False, out_indices=(1, 2, 3), residual_block_indices=(0, 1, 2, 3))
    return svit.eval(), SimplePyramid(32, out_channels=(16, 32, 64)).eval()


def stream(svit, pyramid, frames):
    outs = []
    with torch.no_grad():
        svit.reset_memory()
        for frame in frames:
            outs.append(torch.cat([o.flatten() for o in pyramid(svit(frame.float()))]))
    return outs


def relative(a, b) -> float:
    return ((a - b).norm() / b.norm()).item()


@pytest.fixture(scope='module')
def converted_tiny(tmp_path_factory):
    dst = str(tmp_path_factory.mktemp('release') / 'tiny_svm.pth')
    report = convert_release_checkpoint(TINY_CKPT, dst)
    return dst, report


def test_converted_release_model_reproduces_the_release_frame_by_frame(converted_tiny):
    """7 frames through a memory of 3 that merges its oldest frames: every pyramid output as the
    release's code computed it, to 1e-5 relative."""
    expected = torch.load(osp.join(DATA, 'release_tiny_svit_outputs.pth'), weights_only=True)
    state = load_checkpoint_file(converted_tiny[0])['state_dict']
    svit, pyramid = tiny_svit_and_pyramid()
    svit.load_state_dict(strip(state, 'detector.backbone.'), strict=True)
    pyramid.load_state_dict(strip(state, 'detector.neck.0.'), strict=True)
    outs = stream(svit, pyramid, expected['frames'])
    errors = [relative(o, e) for o, e in zip(outs, expected['outputs'])]
    assert len(errors) == 7 and max(errors) < 1e-5, errors
    # the fixture exercises T2D and the merge: dropping the oldest frame instead gives other features
    svit_fifo, _ = tiny_svit_and_pyramid('fifo')
    svit_fifo.load_state_dict(svit.state_dict())
    fifo = stream(svit_fifo, pyramid, expected['frames'])
    assert max(relative(o, e) for o, e in zip(fifo[:3], expected['outputs'][:3])) < 1e-5
    assert min(relative(o, e) for o, e in zip(fifo[4:], expected['outputs'][4:])) > 1e-3


def test_conversion_report_and_what_is_dropped(converted_tiny):
    dst, report = converted_tiny
    saved = load_checkpoint_file(dst)
    assert set(saved) == {'meta', 'state_dict'}
    assert saved['meta']['release_meta']['hook_msgs']['best_score'] == pytest.approx(0.681)
    assert saved['meta']['svm_checksum']['algorithm'] == 'sha256'  # verified by load_checkpoint_file
    assert report.dropped_ema == ['ema_detector_backbone_conv1_weight'] and report.dropped_sections == ['optimizer']
    renamed = dict(report.renamed)
    assert renamed['detector.backbone.transformer.resblocks.1.attn.in_proj_weight_t'] == (
        'detector.backbone.transformer.resblocks.1.attn.t2d_q_proj.weight')
    assert renamed['detector.backbone.ln_post.weight'] == 'detector.backbone.out_norms.2.weight'
    assert renamed['detector.backbone.ln_post_out1.bias'] == 'detector.backbone.out_norms.0.bias'
    # the x1 stage has no resize layer: its layers move up by one (svm keeps an Identity at 0)
    assert renamed['detector.backbone.fpn_adaptor.fpn_adaptor_1.0.weight'] == 'detector.neck.0.stages.1.1.weight'
    assert renamed['detector.backbone.fpn_adaptor.fpn_adaptor_0.0.weight'] == 'detector.neck.0.stages.0.0.weight'
    assert renamed['detector.backbone.fpn_adaptor.fpn_adaptor_2.1.weight'] == 'detector.neck.0.stages.2.1.weight'
    summary = report.summary()
    assert 'dropped 1 ema_* buffers' in summary and 'dropped optimizer' in summary


def test_converter_refuses_what_is_not_a_release_checkpoint(tmp_path):
    other = tmp_path / 'clip.pth'
    torch.save({'state_dict': {'conv1.weight': torch.zeros(1)}}, other)
    with pytest.raises(NotAReleaseCheckpointError, match=r'clip\.pth: no key starting with detector\.backbone'):
        convert_release_checkpoint(str(other), str(tmp_path / 'out.pth'))
    assert not osp.exists(tmp_path / 'out.pth')
    not_dict = tmp_path / 'list.pth'
    torch.save([torch.zeros(1)], not_dict)
    with pytest.raises(NotAReleaseCheckpointError, match='holds a list'):
        convert_release_checkpoint(str(not_dict), str(tmp_path / 'out.pth'))


class Foreign:  # a type a checkpoint should not need
    pass


def test_converter_refuses_unsafe_pickles_naming_the_type(tmp_path):
    src = tmp_path / 'unsafe.pth'
    state = torch.load(TINY_CKPT, weights_only=True)
    state['meta']['extra'] = Foreign()
    torch.save(state, src, pickle_module=pickle)
    with pytest.raises(UnsafeCheckpointError, match=r'Foreign.*--trust-checkpoint'):
        convert_release_checkpoint(str(src), str(tmp_path / 'out.pth'))


def test_converter_command_line(tmp_path):
    dst = tmp_path / 'svm.pth'
    proc = run_tool(['python', CONVERTER, TINY_CKPT, dst])
    assert 'renamed' in proc.stdout and dst.is_file()
    bad = tmp_path / 'bad.pth'
    bad.write_bytes(b'not a checkpoint')
    proc = run_tool(['python', CONVERTER, bad, tmp_path / 'x.pth'], check=False)
    assert proc.returncode != 0 and 'bad.pth' in proc.stderr


def release_b16_state(dtype=torch.float32) -> dict:
    """A full-size release ByteTrack state dict: the key names and shapes in release_bytetrack_b16_keys.json,
    sane random values (unit BN variances, so that a test run stays finite)."""
    spec = json.load(open(osp.join(DATA, 'release_bytetrack_b16_keys.json')))
    gen = torch.Generator().manual_seed(0)
    state = {}
    for key, shape in spec.items():
        if key.endswith('num_batches_tracked'):
            state[key] = torch.zeros(shape, dtype=torch.long)
        elif key.endswith('running_var'):
            state[key] = torch.ones(shape, dtype=dtype)
        else:
            state[key] = (0.02 * torch.randn(shape, generator=gen)).to(dtype)
    return state


def test_full_size_release_keys_map_one_to_one():
    state = release_b16_state(torch.float16)
    result = convert_release_state_dict(state)
    assert len(result.state_dict) == len(state) == 666
    assert len(result.renamed) + len(result.kept) == 666 and not result.dropped_ema


def test_full_release_key_set_is_summarised_by_rule():
    """A release checkpoint's every key: the 666 tensors of the model and the ema_* copy of each that mmdet 2.x's
    ExpMomentumEMAHook (in the release's config, skip_buffers=False) registers. The summary listed 332 one-key
    "rules" for it (its pattern replaced only the first .N., the inserted neck index); one line a rule now."""
    names = json.load(open(osp.join(DATA, 'release_bytetrack_b16_keys.json')))
    state = {name: torch.zeros(1) for name in names}
    state.update({f'ema_{name.replace(".", "_")}': torch.zeros(1) for name in names})
    result = convert_release_state_dict(state)
    assert len(result.state_dict) == 666 and len(result.dropped_ema) == 666
    bb, blocks = 'detector.backbone.', 'detector.backbone.transformer.resblocks.{i}'
    assert result.rules == {
        f'{bb}fpn_adaptor.fpn_adaptor_1.{{j}}.* -> detector.neck.0.stages.1.{{j+1}}.*': 6,  # the x1 stage
        f'{bb}fpn_adaptor.fpn_adaptor_{{k}}.{{j}}.* -> detector.neck.0.stages.{{k}}.{{j}}.*': 14,
        f'{bb}ln_post_out1.* -> {bb}out_norms.0.*': 2,
        f'{bb}ln_post_out2.* -> {bb}out_norms.1.*': 2,
        f'{bb}ln_post.* -> {bb}out_norms.2.*': 2,
        f'{blocks}.attn.alpha -> {blocks}.attn.t2d_alpha': 12,
        f'{blocks}.attn.in_proj_bias_t -> {blocks}.attn.t2d_q_proj.bias': 12,
        f'{blocks}.attn.in_proj_weight_t -> {blocks}.attn.t2d_q_proj.weight': 12,
        f'{blocks}.attn.out_proj_t.* -> {blocks}.attn.t2d_out_proj.*': 24,
        f'{blocks}.residual_block.* -> {bb}conv_blocks.{{i}}.*': 36,  # 4 blocks
        'detector.neck.* -> detector.neck.1.*': 306,
    }
    assert sum(result.rules.values()) == len(result.renamed) == 428 and len(result.kept) == 238
    lines = result.summary().splitlines()
    assert lines[0] == '666 tensors: 238 kept as they are, 428 renamed:' and len(lines) == 1 + 11 + 1
    assert lines[-1].startswith('dropped 666 ema_* buffers')


def test_full_size_release_checkpoint_tests_end_to_end(tiny_mot, tmp_path):
    """Convert a full-size (ViT-B/16) release checkpoint, load it strictly into the release test config's
    model (tools/test.py checks every key and shape) and track the tiny MOT videos at a small input size."""
    src, dst = tmp_path / 'release.pth', tmp_path / 'svm.pth'
    torch.save(dict(meta=dict(epoch=10), state_dict=release_b16_state()), src)
    proc = run_tool(['python', CONVERTER, src, dst, '--check-config', RELEASE_TEST])
    assert 'loads strictly into the model' in proc.stdout
    src.unlink()
    opts = [o for o in tiny_data_options(tiny_mot['root']) if o.startswith('test_dataloader')]
    proc = run_tool(['python', 'tools/test.py', RELEASE_TEST, '--checkpoint', dst, '--work-dir', tmp_path / 'work',
                     '--cfg-options', *opts, 'test_cfg.fp16=False',
                     'test_dataloader.dataset.pipeline.0.transforms.1.scale=(96,64)',
                     'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False'])
    out = proc.stdout + proc.stderr
    assert 'HOTA: default-tracker-pedestrian' in out and 'motchallenge-metric/HOTA' in out


def test_converter_refuses_to_write_over_its_input(tmp_path):
    src = tmp_path / 'release.pth'
    src.write_bytes(open(TINY_CKPT, 'rb').read())
    link = tmp_path / 'link.pth'
    link.symlink_to(src)
    before = src.read_bytes()
    converter = load_script(CONVERTER)
    for dst in (src, link):
        with pytest.raises(FileExistsError, match=rf'output {dst} (is|is a link to) the input .*--overwrite'):
            converter.main([str(src), str(dst)])
    assert src.read_bytes() == before  # the release file, optimizer and EMA included, is untouched
    converter.main([str(src), str(src), '--overwrite'])  # asked for: replaced by the converted checkpoint
    assert 'converted_from' in load_checkpoint_file(str(src))['meta']


def test_release_writer_inverts_the_converter_on_the_full_size_release_keys():
    """The 666 names of the release's ViT-B/16 tracker: converted to svm's and written back, the same names."""
    names = json.load(open(osp.join(DATA, 'release_bytetrack_b16_keys.json')))
    state = {k: torch.zeros(1) for k in names}
    svm_state = convert_release_state_dict(state).state_dict
    assert sorted(svm_to_release_state_dict(svm_state)) == sorted(names)


def test_release_writer_refuses_what_the_release_cannot_name():
    with pytest.raises(ValueError, match='pyramid adapter'):
        svm_to_release_state_dict({'detector.neck.2.conv.weight': torch.zeros(1)})
    with pytest.raises(ValueError, match='output norms'):
        svm_to_release_state_dict({f'detector.backbone.out_norms.{i}.weight': torch.zeros(1) for i in range(5)})
