"""demo/mot_demo.py and demo/recognition_demo.py on tiny inputs, with untrained tiny models."""
import importlib.util
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MOT_CONFIG = osp.join(REPO, 'configs/mot/svm/demo_bytetrack_svit-tiny_yolox_synthetic-mot.py')
REC_CONFIG = osp.join(REPO, 'configs/recognition/svm/synthetic_stream-tiny_8x1x1_order-actions.py')


def _load(name):
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO, 'demo', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _save_untrained(config, registry_scope, path):
    """Build a config's model with its random initialisation and save it as an mmengine checkpoint."""
    from mmengine.config import Config
    from mmengine.registry import MODELS, DefaultScope
    import svm  # noqa: F401
    cfg = Config.fromfile(config)
    torch.manual_seed(0)
    # not init_default_scope: this runs in module fixtures, outside the per-test scope isolation of
    # tests/conftest.py, and a global scope set here would leak into the tests of other modules
    with DefaultScope.overwrite_default_scope(registry_scope):
        model = MODELS.build(cfg.model)
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return str(path)


def _read_video(path):
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    return frames


def test_draw_tracks_colours_each_id():
    mot_demo = _load('mot_demo')
    frame = np.zeros((60, 80, 3), np.uint8)
    out = mot_demo.draw_tracks(frame, np.array([[10., 20., 30., 50.], [40., 20., 70., 55.]]), np.array([3, 7]))
    left_edge_a, left_edge_b = out[35, 10], out[35, 40]
    assert tuple(left_edge_a) == mot_demo.track_color(3)
    assert tuple(left_edge_b) == mot_demo.track_color(7)
    assert mot_demo.track_color(3) != mot_demo.track_color(7)
    assert not out[35, 20].any()  # inside the box: untouched
    assert not frame.any()  # the input frame is not modified


def test_mot_demo_streams_a_frame_folder(tmp_path):
    from svm.datasets.synthetic.mot import SyntheticMOTConfig, write_sequence
    mot_demo = _load('mot_demo')
    cfg = SyntheticMOTConfig(width=160, height=96, num_frames=5, obj_height=(30.0, 50.0),
                             camera_amplitude=(5.0, 2.0))
    write_sequence(str(tmp_path), 'SEQ', seed=0, cfg=cfg)
    ckpt = _save_untrained(MOT_CONFIG, 'mmdet', tmp_path / 'tracker.pth')
    out = tmp_path / 'tracks.mp4'
    mot_demo.main([str(tmp_path / 'SEQ' / 'img1'), '--config', MOT_CONFIG, '--checkpoint', ckpt,
                   '--out', str(out), '--out-txt', str(tmp_path / 'tracks.txt')])
    frames = _read_video(out)
    assert len(frames) == 5 and frames[0].shape == (96, 160, 3)
    assert osp.isfile(tmp_path / 'tracks.txt')


def test_mot_demo_rejects_missing_input(tmp_path):
    mot_demo = _load('mot_demo')
    with pytest.raises(FileNotFoundError, match='no images'):
        mot_demo.open_frames(str(tmp_path))
    with pytest.raises(FileNotFoundError, match='no such video'):
        mot_demo.open_frames(str(tmp_path / 'missing.mp4'))


def test_recognition_demo_reports_topk_every_frame(tmp_path):
    from svm.datasets.synthetic.actions import SyntheticActionConfig, render_action_group, write_video
    rec_demo = _load('recognition_demo')
    _, videos = render_action_group(0, SyntheticActionConfig(size=64, num_frames=8, num_classes=2))
    video = tmp_path / 'clip.mp4'
    write_video(str(video), videos[0], fps=8)
    labels = tmp_path / 'classes.txt'
    labels.write_text('forward\nbackward\n')
    ckpt = _save_untrained(REC_CONFIG, 'mmaction', tmp_path / 'recognizer.pth')
    out = tmp_path / 'topk.mp4'
    history = rec_demo.main([str(video), '--config', REC_CONFIG, '--checkpoint', ckpt, '--label-file',
                             str(labels), '--out', str(out)])
    assert len(history) == 8
    for topk in history:
        assert [label for label, _ in topk] in (['forward', 'backward'], ['backward', 'forward'])
        scores = [score for _, score in topk]
        assert scores == sorted(scores, reverse=True)
    assert len(_read_video(out)) == 8


class _FakeWebcam:
    """Stands in for cv2.VideoCapture(0): a camera that delivers ``num_frames`` frames of the given size."""

    def __init__(self, target, num_frames=6, size=(96, 160)):
        assert target == 0, target
        self.frames = [np.full((*size, 3), 40 * i % 256, np.uint8) for i in range(num_frames)]

    def isOpened(self):
        return True

    def get(self, prop):
        return 0.0  # a camera that reports neither frame rate nor length

    def read(self):
        return (True, self.frames.pop(0)) if self.frames else (False, None)

    def release(self):
        pass


def _write_mp4(path, frames, fps=10):
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), fps, (w, h))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return str(path)


@pytest.fixture(scope='module')
def untrained_tracker(tmp_path_factory):
    return _save_untrained(MOT_CONFIG, 'mmdet', tmp_path_factory.mktemp('mot_demo') / 'tracker.pth')


def test_mot_demo_tracks_a_video_file_with_progress(tmp_path, capsys, untrained_tracker):
    from svm.datasets.synthetic.mot import SyntheticMOTConfig, write_sequence
    mot_demo = _load('mot_demo')
    cfg = SyntheticMOTConfig(width=160, height=96, num_frames=5, obj_height=(30.0, 50.0),
                             camera_amplitude=(5.0, 2.0))
    write_sequence(str(tmp_path), 'SEQ', seed=0, cfg=cfg)
    frames = [cv2.imread(str(p)) for p in sorted((tmp_path / 'SEQ' / 'img1').iterdir())]
    video = _write_mp4(tmp_path / 'seq.mp4', frames)
    mot_demo.main([video, '--config', MOT_CONFIG, '--checkpoint', untrained_tracker,
                   '--out-txt', str(tmp_path / 'tracks.txt')])
    out = capsys.readouterr().out
    assert 'frame 1/5 (20%)' in out and 'frame 5/5 (100%)' in out and '5 frames in' in out
    assert osp.isfile(tmp_path / 'tracks.txt')


def test_mot_demo_reads_a_webcam_index_and_shows_its_frame_rate(tmp_path, capsys, monkeypatch,
                                                                untrained_tracker):
    from svm.apis import video_sources
    mot_demo = _load('mot_demo')
    monkeypatch.setattr(video_sources.cv2, 'VideoCapture', _FakeWebcam)
    out = tmp_path / 'webcam.mp4'
    mot_demo.main(['0', '--config', MOT_CONFIG, '--checkpoint', untrained_tracker, '--out', str(out),
                   '--max-frames', '4'])
    monkeypatch.undo()  # cv2.VideoCapture reads the output again
    printed = capsys.readouterr().out
    assert 'frame 1, ' in printed and 'frames/s' in printed and 'frame 1/' not in printed  # live: no length
    assert '4 frames in' in printed
    assert len(_read_video(out)) == 4  # --max-frames stops a live source


def test_mot_demo_needs_an_output(untrained_tracker):
    mot_demo = _load('mot_demo')
    with pytest.raises(SystemExit):
        mot_demo.parse_args(['0', '--config', MOT_CONFIG, '--checkpoint', untrained_tracker])


@pytest.fixture(scope='module')
def untrained_recognizer(tmp_path_factory):
    return _save_untrained(REC_CONFIG, 'mmaction', tmp_path_factory.mktemp('rec_demo') / 'recognizer.pth')


def test_recognition_demo_reads_a_frame_folder_and_a_webcam(tmp_path, capsys, monkeypatch, untrained_recognizer):
    from svm.apis import video_sources
    from svm.datasets.synthetic.actions import SyntheticActionConfig, render_action_group
    rec_demo = _load('recognition_demo')
    _, videos = render_action_group(0, SyntheticActionConfig(size=64, num_frames=8, num_classes=2))
    folder = tmp_path / 'frames'
    folder.mkdir()
    for i, frame in enumerate(videos[0]):  # RGB frames
        cv2.imwrite(str(folder / f'{i + 1}.png'), cv2.cvtColor(np.asarray(frame), cv2.COLOR_RGB2BGR))
    history = rec_demo.main([str(folder), '--config', REC_CONFIG, '--checkpoint', untrained_recognizer])
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith('frame')]
    assert len(history) == 8 and len(printed) == 8
    assert printed[0].startswith('frame 1/8: ') and printed[-1].startswith('frame 8/8: ')

    monkeypatch.setattr(video_sources.cv2, 'VideoCapture',
                        lambda target: _FakeWebcam(target, num_frames=10, size=(64, 64)))
    history = rec_demo.main(['0', '--config', REC_CONFIG, '--checkpoint', untrained_recognizer,
                             '--max-frames', '3'])
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith('frame')]
    assert len(history) == 3 and len(printed) == 3
    assert printed[0].startswith('frame    1') and 'frames/s):' in printed[-1]
