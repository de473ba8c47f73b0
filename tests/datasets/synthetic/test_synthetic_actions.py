"""The synthetic action benchmark: deterministic, decodable by mmaction2, and its classes differ only in
the order of the frames."""
import numpy as np
import pytest

from svm.datasets.synthetic.actions import (ACTION_CLASSES, SyntheticActionConfig, frame_order,
                                            read_video, render_action_group,
                                            write_action_benchmark)

TINY = SyntheticActionConfig(size=32, num_frames=6)


def test_orders_are_permutations_and_distinct():
    orders = [tuple(frame_order(label, 8)) for label in range(len(ACTION_CLASSES))]
    assert len(set(orders)) == len(ACTION_CLASSES)
    for order in orders:
        assert sorted(order) == list(range(8))
    assert orders[1] == orders[0][::-1]
    assert orders[2] == (0, 2, 4, 6, 7, 5, 3, 1)
    with pytest.raises(ValueError, match='even'):
        frame_order(0, 7)


def test_group_is_deterministic_by_seed():
    m1, v1 = render_action_group(11, TINY)
    m2, v2 = render_action_group(11, TINY)
    _, v3 = render_action_group(12, TINY)
    assert m1 == m2 and all(np.array_equal(a, b) for a, b in zip(v1, v2))
    assert not np.array_equal(v1[0], v3[0])


@pytest.mark.parametrize('seed', range(6))
def test_no_frame_tells_the_class(seed):
    """Every class shows the same frames: sorted per-frame statistics agree exactly, yet the videos
    (ordered sequences) differ."""
    _, videos = render_action_group(seed, TINY)
    stats = [sorted(v.reshape(len(v), -1).astype(np.int64).sum(1).tolist()) for v in videos]
    assert all(s == stats[0] for s in stats)
    frames = [sorted(f.tobytes() for f in v) for v in videos]
    assert all(f == frames[0] for f in frames)
    assert all(not np.array_equal(videos[0], v) for v in videos[1:])


def test_each_motion_kind_changes_the_frames():
    for motion in ('translate', 'rotate', 'scale'):
        cfg = SyntheticActionConfig(size=32, num_frames=6, motions=(motion, ))
        m, videos = render_action_group(0, cfg)
        assert m == motion
        forward = videos[0].astype(int)
        assert np.abs(forward[0] - forward[-1]).mean() > 1.0, motion


def test_written_videos_decode_with_mmaction2(tmp_path):
    pytest.importorskip('av')
    from mmaction.datasets.transforms import DecordDecode, DecordInit, SampleFrames
    lists = write_action_benchmark(str(tmp_path), seed=0, num_train=2, num_val=1, cfg=TINY)
    lines = open(lists['train']).read().split('\n')
    lines = [line for line in lines if line]
    assert len(lines) == 2 * len(ACTION_CLASSES)
    assert open(tmp_path / 'classes.txt').read().split() == list(ACTION_CLASSES)
    _, videos = render_action_group(0, TINY)  # not the same seed as the file; check decoding only
    rel, label = lines[1].split()
    results = dict(filename=str(tmp_path / rel), label=int(label), start_index=0, modality='RGB')
    for t in (DecordInit(), SampleFrames(clip_len=TINY.num_frames, frame_interval=1, num_clips=1,
                                         test_mode=True), DecordDecode()):
        results = t(results)
    imgs = np.stack(results['imgs'])
    assert imgs.shape == (TINY.num_frames, TINY.size, TINY.size, 3)
    decoded = read_video(str(tmp_path / rel))
    assert decoded.shape == imgs.shape
    # lossless coding: decoded frames differ from the rendered ones only by RGB<->YUV rounding
    from svm.datasets.synthetic.actions import group_seeds
    _, rendered = render_action_group(group_seeds(0, 2, 'train')[0], TINY)
    assert np.abs(decoded.astype(int) - rendered[int(label)].astype(int)).mean() < 3
    # and a decoded video's reversed counterpart holds the same frames (the property survives files)
    rel_fw = [line.split()[0] for line in lines if line.endswith(' 0')][0]
    rel_bw = [line.split()[0] for line in lines if line.endswith(' 1')][0]
    fw, bw = read_video(str(tmp_path / rel_fw)), read_video(str(tmp_path / rel_bw))
    assert np.array_equal(fw, bw[::-1])


def test_class_names_follow_a_single_motion_kind(tmp_path):
    import json
    cfg = SyntheticActionConfig(size=32, num_frames=6, motions=('scale', ), num_classes=2)
    assert cfg.class_names == ('approaching', 'receding')
    assert SyntheticActionConfig(num_classes=3).class_names == ACTION_CLASSES[:3]
    write_action_benchmark(str(tmp_path), seed=3, num_train=1, num_val=1, cfg=cfg)
    assert open(tmp_path / 'classes.txt').read().split() == ['approaching', 'receding']
    meta = json.load(open(tmp_path / 'benchmark.json'))
    assert meta['motions'] == ['scale'] and meta['num_classes'] == 2 and meta['seed'] == 3
    # 'approaching' = the object grows: more object pixels (saturated or black/white) at the end
    _, (approach, recede) = render_action_group(0, cfg)
    assert np.array_equal(approach, recede[::-1])
    frames = approach.astype(int)
    scene = np.abs(frames - frames.mean(-1, keepdims=True)).max(-1) < 40  # the muted scene is greyish
    scene &= (frames.mean(-1) > 60) & (frames.mean(-1) < 170)
    object_pixels = (~scene).reshape(len(frames), -1).sum(1)
    assert object_pixels[-1] > 2 * object_pixels[0]


def test_bad_config_is_rejected():
    with pytest.raises(ValueError, match='motions'):
        SyntheticActionConfig(motions=('jump', ))
    with pytest.raises(ValueError, match='num_classes'):
        SyntheticActionConfig(num_classes=9)
