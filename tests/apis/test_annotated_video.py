"""The demos' writers (svm.apis.annotated_video) refuse outputs they cannot write before the first frame is
processed, instead of tracking a whole video into nothing."""
import cv2
import numpy as np
import pytest

from svm.apis import Tracks, annotated_video, write_recognized_video, write_tracked_action_video, write_tracked_video
from svm.apis.tracking import TrackedFrame

FRAMES = 4


@pytest.fixture
def frames_dir(tmp_path):
    folder = tmp_path / 'frames'
    folder.mkdir()
    for i in range(FRAMES):
        cv2.imwrite(str(folder / f'{i + 1}.png'), np.full((32, 48, 3), 40 * i, np.uint8))
    return str(folder)


@pytest.fixture
def processed(monkeypatch):
    """The frames the (fake) tracker and recogniser were given: the writers are tested, not the models."""
    seen = []
    none = Tracks(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64), np.zeros(0, np.int64))

    def fake_track_video(tracker, source, score_thr=0.0, max_frames=None):
        for index, image in enumerate(source):
            seen.append(index)
            yield TrackedFrame(index, image, none)

    def fake_recognize_video(online, source, max_frames=None):
        for index, image in enumerate(source):
            seen.append(index)
            yield index, image, [('walk', 1.0)]

    monkeypatch.setattr(annotated_video, 'track_video', fake_track_video)
    monkeypatch.setattr(annotated_video, 'recognize_video', fake_recognize_video)
    return seen


def unwritable_places(tmp_path):
    blocker = tmp_path / 'a_file'
    blocker.write_text('')
    # a folder that is a file, and a read-only filesystem (even for root)
    return [str(blocker / 'tracks.mp4'), '/proc/svm_no_such_place/tracks.mp4']


def test_tracked_video_to_an_unwritable_place_fails_before_the_first_frame(frames_dir, processed, tmp_path):
    for out in unwritable_places(tmp_path):
        with pytest.raises(OSError, match=f'the output video {out} cannot be written'):
            write_tracked_video(None, frames_dir, out=out)
    assert processed == []


def test_a_container_opencv_cannot_write_is_refused_before_the_first_frame(frames_dir, processed, tmp_path):
    for write in (lambda out: write_tracked_video(None, frames_dir, out=out),
                  lambda out: write_recognized_video(None, frames_dir, out=out)):
        with pytest.raises(ValueError, match=r"tracks.xyz: OpenCV cannot write an mp4v video in a '.xyz' container"):
            write(str(tmp_path / 'tracks.xyz'))
    assert processed == [] and sorted(p.name for p in tmp_path.iterdir()) == ['frames']  # no probe left
    written = write_tracked_video(None, frames_dir, out=str(tmp_path / 'tracks.mp4'))
    assert written['num_frames'] == FRAMES and cv2.VideoCapture(str(tmp_path / 'tracks.mp4')).isOpened()


def test_unwritable_tracks_file_fails_before_the_first_frame(frames_dir, processed, tmp_path):
    for out_txt in unwritable_places(tmp_path) + [str(tmp_path)]:
        with pytest.raises(OSError, match=r'tracks file \(--out-txt\)'):
            write_tracked_video(None, frames_dir, out_txt=out_txt)
    assert processed == []


def test_the_track_recognition_writer_checks_its_video_too(frames_dir, processed, tmp_path, monkeypatch):
    monkeypatch.setattr(annotated_video, 'inference_track_recognizer', lambda *a, **k: iter(()))
    with pytest.raises(ValueError, match='OpenCV cannot write'):
        write_tracked_action_video(None, frames_dir, out=str(tmp_path / 'x.xyz'))


def test_a_writer_that_opencv_does_not_open_raises(tmp_path):
    writer = annotated_video.LazyVideoWriter(str(tmp_path / 'x.xyz'), 25)
    with pytest.raises(OSError, match='x.xyz: OpenCV cannot open this video for writing'):
        writer.write(np.zeros((16, 16, 3), np.uint8))
