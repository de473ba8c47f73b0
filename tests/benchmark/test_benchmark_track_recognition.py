"""svm/benchmark/track_recognition.py (``tools/analysis_tools/benchmark.py track-recognition``): online action
accuracy on labelled frame folders and the per-frame cost against the two separate models."""
import json

import pytest
import torch

from svm.apis import inference_track_recognizer, init_tracker, open_video_source
from svm.benchmark.track_recognition import (COST_ROWS, cost_table, online_action_accuracy, read_frame_list,
                                             track_recognizer_vs_separate)
from svm.datasets.synthetic.mot import FLOW_CLASSES, preset_config, write_mot_benchmark
from helpers import REPO_ROOT

TRACK_RECOGNITION_CONFIG = REPO_ROOT / (
    'configs/track_recognition/svm/bytetrack-action-head_svit-tiny_yolox_synthetic-mot-flow.py')
NUM_FRAMES = 10


@pytest.fixture(scope='module')
def flow_set(tmp_path_factory):
    """Four validation sequences of the flow preset (two per class) and an untrained track recognizer whose detector
    finds a few boxes (as a trained one does; an untrained one finds hundreds)."""
    root = tmp_path_factory.mktemp('flow')
    write_mot_benchmark(str(root), num_train=1, num_val=4, cfg=preset_config('flow', num_frames=NUM_FRAMES),
                        flow_classes=FLOW_CLASSES)
    torch.manual_seed(0)
    model = init_tracker(TRACK_RECOGNITION_CONFIG)
    with torch.no_grad():
        for level in range(3):
            model.detector.bbox_head.multi_level_conv_obj[level].bias.fill_(-3.0)
        for name, param in model.named_parameters():
            if name.endswith('t2d_alpha'):
                param.normal_(0., 1.)
    return dict(root=root, model=model)


def test_online_accuracy_counts_the_top_class_against_the_labels(flow_set):
    root, model = flow_set['root'], flow_set['model']
    videos = read_frame_list(str(root / 'annotations/val_flow_rawframes.txt'), str(root))
    assert [label for _, label in videos] == [0, 1, 0, 1]
    done = []
    accuracy = online_action_accuracy(model, videos, progress=done.append)
    assert done == [1, 2, 3, 4] and accuracy['videos'] == 4 and accuracy['frames'] == 4 * NUM_FRAMES
    # the same figures from the streamed scores, counted here
    last_right, window_right, window_frames = 0, 0, 0
    for source, label in videos:
        top1 = [int(f.action_scores.argmax()) for f in inference_track_recognizer(model, open_video_source(source))]
        last_right += top1[-1] == label
        window_right += sum(t == label for t in top1[model.action_window - 1:])
        window_frames += NUM_FRAMES - model.action_window + 1
    assert accuracy['top1_last_frame'] == last_right / 4
    assert accuracy['top1_full_window'] == window_right / window_frames


def test_a_malformed_frame_list_is_named(tmp_path):
    bad = tmp_path / 'list.txt'
    bad.write_text('val/SYN-51/img1 10 0\nval/SYN-52/img1 ten 1\n')
    with pytest.raises(ValueError, match=r'list.txt:2: expected "frame_dir total_frames label"'):
        read_frame_list(str(bad), str(tmp_path))


def test_cost_comparison_runs_the_three_models_on_every_frame(flow_set):
    frames = list(open_video_source(str(flow_set['root'] / 'val/SYN-51/img1')))
    result = track_recognizer_vs_separate(flow_set['model'], frames, warmup=2)
    assert all(len(result['ms'][key]) == NUM_FRAMES - 2 for key, _ in COST_ROWS)
    for one_pass_ms, tracker_ms, recognizer_ms, separate_ms in zip(*(result['ms'][key] for key, _ in COST_ROWS)):
        assert separate_ms == pytest.approx(tracker_ms + recognizer_ms)
    assert result['same_tracks'] and result['max_score_difference'] < 1e-5
    assert cost_table(result).count('\n') == 1 + len(COST_ROWS)
    with pytest.raises(ValueError, match='more than 2 frames'):
        track_recognizer_vs_separate(flow_set['model'], frames[:2])


def test_track_recognition_task_of_the_command(flow_set, tmp_path, capsys):
    """``benchmark.py track-recognition``: the accuracy line and the cost table, and the figures as JSON."""
    from helpers import load_script
    checkpoint, out = tmp_path / 'track_recognizer.pth', tmp_path / 'figures.json'
    torch.save(dict(state_dict=flow_set['model'].state_dict()), checkpoint)
    root = flow_set['root']
    load_script('tools/analysis_tools/benchmark.py').main(
        ['track-recognition', str(TRACK_RECOGNITION_CONFIG), str(checkpoint), '--frame-list',
         str(root / 'annotations/val_flow_rawframes.txt'), '--data-root', str(root), '--timing-frames', '4',
         '--device', 'cpu', '--out', str(out)])
    printed = capsys.readouterr().out
    assert 'online action top-1 on 4 videos (40 frames)' in printed
    assert '| track recognizer (one backbone pass) |' in printed and 'same tracks: True' in printed
    saved = json.loads(out.read_text())
    assert saved['accuracy']['videos'] == 4 and set(saved['costs']['summary']) == {key for key, _ in COST_ROWS}
