"""demo/mot_demo.py and demo/recognition_demo.py, and the library functions they run
(svm.apis.write_tracked_video, svm.apis.write_recognized_video, svm.visualization.draw_tracks), on tiny
inputs with untrained tiny models."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from svm.apis import (OnlineRecognizer, init_tracker, open_video_source, write_recognized_video,
                      write_tracked_video)
from svm.datasets.mot.mot_challenge import read_results
from helpers import REPO_ROOT, load_script, run_tool
from svm.visualization import draw_tracks, track_color

MOT_CONFIG = str(REPO_ROOT / 'configs/mot/svm/bytetrack_svit-tiny_yolox_1xb4-15e_synthetic-mot.py')
REC_CONFIG = str(REPO_ROOT / 'configs/recognition/svm/svm_stream-tiny_1xb16-8x1x1-24e_synthetic-order-actions.py')


def _save_untrained(config, registry_scope, path):
    """Build a config's model with its random initialisation and save it as an mmengine checkpoint."""
    from mmengine.config import Config
    from mmengine.registry import MODELS, DefaultScope
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
    frame = np.zeros((60, 80, 3), np.uint8)
    out = draw_tracks(frame, np.array([[10., 20., 30., 50.], [40., 20., 70., 55.]]), np.array([3, 7]))
    left_edge_a, left_edge_b = out[35, 10], out[35, 40]  # BGR
    assert tuple(left_edge_a) == track_color(3)[::-1]
    assert tuple(left_edge_b) == track_color(7)[::-1]
    assert track_color(3) != track_color(7)
    assert not out[35, 20].any()  # inside the box: untouched
    assert not frame.any()  # the input frame is not modified


def test_mot_demo_streams_a_frame_folder(tmp_path):
    """The command line: a frame folder tracked into a video and a MOTChallenge file."""
    from svm.datasets.synthetic.mot import SyntheticMOTConfig, write_sequence
    cfg = SyntheticMOTConfig(width=160, height=96, num_frames=5, obj_height=(30.0, 50.0),
                             camera_amplitude=(5.0, 2.0))
    write_sequence(str(tmp_path), 'SEQ', seed=0, cfg=cfg)
    ckpt = _save_untrained(MOT_CONFIG, 'mmdet', tmp_path / 'tracker.pth')
    out, txt = tmp_path / 'tracks.mp4', tmp_path / 'tracks.txt'
    proc = run_tool(['python', 'demo/mot_demo.py', tmp_path / 'SEQ' / 'img1', '--config', MOT_CONFIG, '--checkpoint',
                     ckpt, '--out', out, '--out-txt', txt])
    frames = _read_video(out)
    assert len(frames) == 5 and frames[0].shape == (96, 160, 3)
    assert osp.isfile(txt)
    assert f'{out}, {txt}: 5 frames, ' in proc.stdout


def test_mot_demo_rejects_missing_input(tmp_path):
    with pytest.raises(FileNotFoundError, match='no images'):
        open_video_source(str(tmp_path))
    with pytest.raises(FileNotFoundError, match='no such video'):
        open_video_source(str(tmp_path / 'missing.mp4'))


def test_recognition_demo_reports_topk_every_frame(tmp_path):
    """The command line: the top-k with the class names of --label-file after every frame, and the video."""
    from svm.datasets.synthetic.actions import SyntheticActionConfig, render_action_group, write_video
    _, videos = render_action_group(0, SyntheticActionConfig(size=64, num_frames=8, num_classes=2))
    video = tmp_path / 'clip.mp4'
    write_video(str(video), videos[0], fps=8)
    labels = tmp_path / 'classes.txt'
    labels.write_text('forward\nbackward\n')
    ckpt = _save_untrained(REC_CONFIG, 'mmaction', tmp_path / 'recognizer.pth')
    out = tmp_path / 'topk.mp4'
    proc = run_tool(['python', 'demo/recognition_demo.py', video, '--config', REC_CONFIG, '--checkpoint', ckpt,
                     '--label-file', labels, '--out', out])
    lines = [line for line in proc.stdout.splitlines() if line.startswith('frame')]
    assert len(lines) == 8 and lines[0].startswith('frame 1/8: ') and f'wrote {out}' in proc.stdout
    for line in lines:  # 'frame i/8: <label> <score>  <label> <score>'
        fields = line.split(': ', 1)[1].split()
        assert fields[0::2] in (['forward', 'backward'], ['backward', 'forward'])
        scores = [float(score) for score in fields[1::2]]
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
    cfg = SyntheticMOTConfig(width=160, height=96, num_frames=5, obj_height=(30.0, 50.0),
                             camera_amplitude=(5.0, 2.0))
    write_sequence(str(tmp_path), 'SEQ', seed=0, cfg=cfg)
    frames = [cv2.imread(str(p)) for p in sorted((tmp_path / 'SEQ' / 'img1').iterdir())]
    video = _write_mp4(tmp_path / 'seq.mp4', frames)
    written = write_tracked_video(init_tracker(MOT_CONFIG, untrained_tracker), video,
                                  out_txt=str(tmp_path / 'tracks.txt'))
    out = capsys.readouterr().out
    assert written['num_frames'] == 5
    assert 'frame 1/5 (20%)' in out and 'frame 5/5 (100%)' in out and '5 frames in' in out
    rows = read_results(str(tmp_path / 'tracks.txt'), num_frames=5)  # MOTChallenge results, checked row by row
    assert written['num_tracks'] == len(np.unique(rows[:, 1]))


def test_mot_demo_reads_a_webcam_index_and_shows_its_frame_rate(tmp_path, capsys, monkeypatch,
                                                                untrained_tracker):
    from svm.apis import video_sources
    monkeypatch.setattr(video_sources.cv2, 'VideoCapture', _FakeWebcam)
    out = tmp_path / 'webcam.mp4'
    write_tracked_video(init_tracker(MOT_CONFIG, untrained_tracker), '0', out=str(out), max_frames=4)
    monkeypatch.undo()  # cv2.VideoCapture reads the output again
    printed = capsys.readouterr().out
    assert 'frame 1, ' in printed and 'frames/s' in printed and 'frame 1/' not in printed  # live: no length
    assert '4 frames in' in printed
    assert len(_read_video(out)) == 4  # --max-frames stops a live source


def test_mot_demo_needs_an_output(untrained_tracker, capsys):
    """The demo's argument parsing, in this process: it refuses before loading anything."""
    with pytest.raises(SystemExit) as exited:
        load_script('demo/mot_demo.py').parse_args(['0', '--config', MOT_CONFIG, '--checkpoint', untrained_tracker])
    assert exited.value.code == 2 and 'nothing to do: give --out, --out-txt or --show' in capsys.readouterr().err


@pytest.fixture(scope='module')
def untrained_recognizer(tmp_path_factory):
    return _save_untrained(REC_CONFIG, 'mmaction', tmp_path_factory.mktemp('rec_demo') / 'recognizer.pth')


def test_recognition_demo_reads_a_frame_folder_and_a_webcam(tmp_path, capsys, monkeypatch, untrained_recognizer):
    from svm.apis import video_sources
    from svm.datasets.synthetic.actions import SyntheticActionConfig, render_action_group
    _, videos = render_action_group(0, SyntheticActionConfig(size=64, num_frames=8, num_classes=2))
    folder = tmp_path / 'frames'
    folder.mkdir()
    for i, frame in enumerate(videos[0]):  # RGB frames
        cv2.imwrite(str(folder / f'{i + 1}.png'), cv2.cvtColor(np.asarray(frame), cv2.COLOR_RGB2BGR))
    online = OnlineRecognizer.from_config(REC_CONFIG, untrained_recognizer)
    history = write_recognized_video(online, str(folder))
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith('frame')]
    assert len(history) == 8 and len(printed) == 8
    assert printed[0].startswith('frame 1/8: ') and printed[-1].startswith('frame 8/8: ')

    monkeypatch.setattr(video_sources.cv2, 'VideoCapture',
                        lambda target: _FakeWebcam(target, num_frames=10, size=(64, 64)))
    history = write_recognized_video(online, '0', max_frames=3)
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith('frame')]
    assert len(history) == 3 and len(printed) == 3
    assert printed[0].startswith('frame    1') and 'frames/s):' in printed[-1]


def _frame_folder(tmp_path, num_frames=2, size=(64, 96)):
    folder = tmp_path / 'frames'
    folder.mkdir()
    for i in range(num_frames):
        cv2.imwrite(str(folder / f'{i + 1:06d}.jpg'), np.full((*size, 3), 60 * i, np.uint8))
    return str(folder)


def test_mot_demo_runs_without_checkpoint_on_random_weights_with_a_warning(tmp_path, capsys):
    # seeded: some random initialisations give boxes too far out for draw_tracks (cv2 needs int32 points)
    torch.manual_seed(0)
    out_txt = tmp_path / 'tracks.txt'
    load_script('demo/mot_demo.py').main([_frame_folder(tmp_path), '--config', MOT_CONFIG, '--out-txt', str(out_txt),
                                          '--max-frames', '2'])
    printed = capsys.readouterr()
    assert 'WARNING: no --checkpoint: the tracker has random weights' in printed.err
    assert out_txt.exists() and '2 frames' in printed.out


def test_recognition_demo_runs_without_checkpoint_on_random_weights_with_a_warning(tmp_path, capsys):
    history = load_script('demo/recognition_demo.py').main([_frame_folder(tmp_path, size=(64, 64)), '--config',
                                                            REC_CONFIG, '--max-frames', '2'])
    assert len(history) == 2
    assert 'WARNING: no --checkpoint: the recogniser has random weights' in capsys.readouterr().err
