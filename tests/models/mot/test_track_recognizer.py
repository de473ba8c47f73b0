"""StreamingByteTrackRecognizer: construction checks, two-stage training only, and joining the stages' checkpoints."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from svm.apis import init_tracker
from svm.models.mot import assemble_track_recognizer_checkpoint, assemble_track_recognizer_state
from helpers import REPO_ROOT, load_checkpoint_on_cpu, load_script, run_tool

UNIFIED = REPO_ROOT / 'configs/track_recognition/svm'
TRACKER_CONFIG = REPO_ROOT / 'configs/mot/svm/bytetrack_svit-tiny_yolox_1xb4-8e_synthetic-mot-flow.py'
RECOGNIZER_CONFIG = UNIFIED / 'action-head_svit-tiny-frozen_1xb8-8x1x1-10e_synthetic-mot-flow.py'
UNIFIED_CONFIG = UNIFIED / 'bytetrack-action-head_svit-tiny_yolox_synthetic-mot-flow.py'


def build(config, **options):
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    torch.manual_seed(0)
    if cfg.default_scope == 'mmaction':
        from mmaction.registry import MODELS
    else:
        from mmdet.registry import MODELS
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        return MODELS.build(cfg.model)


def test_the_recognizer_backbone_is_the_trackers():
    """Stage 2 trains on the tracker's encoder: the two configs must build the same S-ViT (but its output form)."""
    tracker = Config.fromfile(TRACKER_CONFIG).model.detector.backbone.to_dict()
    recognizer = Config.fromfile(RECOGNIZER_CONFIG).model.backbone.to_dict()
    assert recognizer.pop('out_type') == 'tokens' and tracker.pop('out_type') == 'featmap'
    assert recognizer.pop('init_cfg') == dict(type='Pretrained', checkpoint=Config.fromfile(
        RECOGNIZER_CONFIG).tracker_checkpoint, prefix='detector.backbone.')
    assert recognizer == tracker
    unified = Config.fromfile(UNIFIED_CONFIG).model
    assert unified.action_head == Config.fromfile(RECOGNIZER_CONFIG).model.cls_head


@pytest.mark.parametrize('options, message', [
    ({'model.action_window': 9}, 'longer than the learned temporal position'),
    ({'model.action_head.with_cls_token': True, 'model.action_head.frame_tokens': ('cls', )}, 'class token'),
    ({'model.action_head.in_channels': 64}, 'reads 64 channels'),
])
def test_construction_checks(options, message):
    with pytest.raises(ValueError, match=message):
        build(UNIFIED_CONFIG, **options)


def test_it_is_not_trained_as_one_model():
    model = build(UNIFIED_CONFIG)
    with pytest.raises(NotImplementedError, match='assemble_track_recognizer.py'):
        model.loss(torch.zeros(1, 2, 3, 64, 96), [])


def states():
    """A tracker's and a frozen-backbone recogniser's state dicts with the same backbone."""
    tracker = build(TRACKER_CONFIG).state_dict()
    recognizer = build(RECOGNIZER_CONFIG).state_dict()
    recognizer.update({k[len('detector.'):]: v for k, v in tracker.items() if k.startswith('detector.backbone.')})
    return tracker, recognizer


def test_assembled_state_loads_strictly_and_keeps_both_parts():
    tracker, recognizer = states()
    state = assemble_track_recognizer_state(tracker, recognizer)
    model = build(UNIFIED_CONFIG)
    model.load_state_dict(state, strict=True)
    for key, value in recognizer.items():
        if key.startswith('cls_head.'):
            assert torch.equal(state['action_head.' + key[len('cls_head.'):]], value)
    assert all(torch.equal(state[key], value) for key, value in tracker.items())


def test_a_head_trained_on_another_backbone_is_refused():
    tracker, recognizer = states()
    key = 'backbone.transformer.resblocks.1.attn.t2d_alpha'
    moved = dict(recognizer, **{key: recognizer[key] + 1e-3})
    with pytest.raises(ValueError, match=r'backbone\.transformer\.resblocks\.1\.attn\.t2d_alpha differs .* 0\.001'):
        assemble_track_recognizer_state(tracker, moved)
    with pytest.raises(KeyError, match='cls_head'):
        assemble_track_recognizer_state(tracker, {k: v for k, v in recognizer.items() if k.startswith('backbone.')})
    bigger = dict(recognizer, **{'backbone.extra.weight': torch.zeros(1)})
    with pytest.raises(KeyError, match='backbone.extra.weight'):
        assemble_track_recognizer_state(tracker, bigger)


def test_tool_writes_a_checkpoint_the_unified_config_loads(tmp_path):
    tracker, recognizer = states()
    torch.save(dict(state_dict=tracker, meta=dict(dataset_meta=dict(classes=('pedestrian', )))),
               tmp_path / 'tracker.pth')
    torch.save(dict(state_dict=recognizer), tmp_path / 'head.pth')
    out = tmp_path / 'unified.pth'
    proc = run_tool(['python', 'tools/model_converters/assemble_track_recognizer.py', tmp_path / 'tracker.pth',
                     tmp_path / 'head.pth', out, '--check-config', UNIFIED_CONFIG])
    assert 'loads strictly' in proc.stdout
    model = init_tracker(UNIFIED_CONFIG, str(out))
    assert model.dataset_meta['classes'] == ('pedestrian', )
    assert load_checkpoint_on_cpu(out)['meta']['parts']['tracker'].endswith('tracker.pth')
    # a head trained on another backbone: the error names the files and the tensor, nothing is written
    moved = copy.deepcopy(recognizer)
    moved['backbone.conv1.weight'] += 1
    torch.save(dict(state_dict=moved), tmp_path / 'other_head.pth')
    with pytest.raises(ValueError, match='other_head.pth does not fit .*tracker.pth.*conv1.weight differs'):
        assemble_track_recognizer_checkpoint(str(tmp_path / 'tracker.pth'), str(tmp_path / 'other_head.pth'),
                                             str(tmp_path / 'never.pth'))
    assert not (tmp_path / 'never.pth').exists()


def test_tool_refuses_to_write_over_an_input(tmp_path):
    tracker, recognizer = states()
    torch.save(dict(state_dict=tracker), tmp_path / 'tracker.pth')
    torch.save(dict(state_dict=recognizer), tmp_path / 'head.pth')
    before = (tmp_path / 'tracker.pth').read_bytes()
    tool = load_script('tools/model_converters/assemble_track_recognizer.py')
    for out in ('tracker.pth', 'head.pth'):
        with pytest.raises(FileExistsError, match=rf'output .*{out} is the input .*{out}.*--overwrite'):
            tool.main([str(tmp_path / 'tracker.pth'), str(tmp_path / 'head.pth'), str(tmp_path / out)])
    assert (tmp_path / 'tracker.pth').read_bytes() == before
    tool.main([str(tmp_path / 'tracker.pth'), str(tmp_path / 'head.pth'), str(tmp_path / 'tracker.pth'), '--overwrite'])
    assert 'parts' in load_checkpoint_on_cpu(tmp_path / 'tracker.pth')['meta']
