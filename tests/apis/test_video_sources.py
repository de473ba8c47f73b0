"""svm.apis.video_sources: what a command line's SOURCE becomes, frame by frame (no camera, no network)."""
import cv2
import numpy as np
import pytest

from svm.apis import FrameProgress, open_video_source
from svm.apis import video_sources
from svm.apis.video_sources import source_kind


def write_video(path, num_frames=7, size=(96, 64), fps=10):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), fps, size)
    for i in range(num_frames):
        writer.write(np.full((size[1], size[0], 3), 20 + 30 * i, np.uint8))
    writer.release()
    return str(path)


class FakeCapture:
    """Stands in for cv2.VideoCapture: records what it was asked to open."""
    opened_with = []

    def __init__(self, target, opens=True):
        FakeCapture.opened_with.append(target)
        self.opens = opens
        self.frames = [np.zeros((4, 6, 3), np.uint8)] * 3

    def isOpened(self):
        return self.opens

    def get(self, prop):
        return {cv2.CAP_PROP_FPS: 30.0, cv2.CAP_PROP_FRAME_COUNT: -1.0}.get(prop, 0.0)

    def read(self):
        return (True, self.frames.pop()) if self.frames else (False, None)

    def release(self):
        pass


@pytest.fixture
def fake_capture(monkeypatch):
    FakeCapture.opened_with = []
    monkeypatch.setattr(video_sources.cv2, 'VideoCapture', FakeCapture)
    return FakeCapture


@pytest.mark.parametrize('source', [0, '0', '2'])
def test_digits_open_a_webcam_by_index(fake_capture, source):
    video = open_video_source(source)
    assert fake_capture.opened_with == [int(source)] and isinstance(fake_capture.opened_with[0], int)
    assert video.kind == 'webcam' and video.live and video.num_frames is None and video.fps == 30.0
    with pytest.raises(TypeError, match='no known length'):
        len(video)
    assert video  # truthy although it has no length
    assert len(list(video)) == 3  # frames until the camera stops delivering


def test_a_webcam_that_does_not_open_is_named(monkeypatch):
    monkeypatch.setattr(video_sources.cv2, 'VideoCapture', lambda target: FakeCapture(target, opens=False))
    with pytest.raises(ValueError, match='webcam 7: OpenCV cannot open it'):
        open_video_source('7')


@pytest.mark.parametrize('url', ['rtsp://user:secret@cam.local:554/stream1', 'http://cam.local/video.mjpg',
                                 'https://example.org/live.m3u8', 'rtmp://example.org/live/key'])
def test_urls_pass_through_to_opencv_unchanged(fake_capture, url):
    video = open_video_source(url)
    assert fake_capture.opened_with == [url]
    assert video.kind == 'url' and video.live and 'secret' not in video.name


def test_a_stream_that_does_not_open_is_named_without_its_password(monkeypatch):
    monkeypatch.setattr(video_sources.cv2, 'VideoCapture', lambda target: FakeCapture(target, opens=False))
    with pytest.raises(ValueError) as err:
        open_video_source('rtsp://admin:hunter2@10.0.0.5/stream')
    assert 'rtsp://admin:***@10.0.0.5/stream' in str(err.value) and 'hunter2' not in str(err.value)


def test_file_url_is_read_by_opencv(tmp_path):
    """A file:// URL stands in for a network stream: OpenCV's FFmpeg backend reads it as given."""
    path = write_video(tmp_path / 'clip.mp4')
    video = open_video_source('file://' + path)
    assert video.kind == 'url' and len(video) == 7 and video.fps == pytest.approx(10)
    frames = list(video)
    assert len(frames) == 7 and all(f.shape == (64, 96, 3) and f.dtype == np.uint8 for f in frames)


def test_video_file_has_length_and_rereads_from_the_start(tmp_path):
    path = write_video(tmp_path / 'clip.mp4')
    video = open_video_source(path)
    assert (video.kind, len(video), video.live) == ('file', 7, False)
    first, second = list(video), list(video)
    assert len(first) == len(second) == 7
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert first[0].mean() < first[-1].mean()  # in order


def test_frame_folder_in_natural_order_with_mot_frame_rate(tmp_path):
    folder = tmp_path / 'SEQ' / 'img1'
    folder.mkdir(parents=True)
    for i in (2, 10, 1):
        cv2.imwrite(str(folder / f'frame_{i}.png'), np.full((8, 8, 3), i, np.uint8))
    (folder / 'notes.txt').write_text('not a frame')
    (tmp_path / 'SEQ' / 'seqinfo.ini').write_text('[Sequence]\nname=SEQ\nframeRate=14\n')
    video = open_video_source(folder)
    assert (video.kind, len(video), video.fps) == ('folder', 3, 14.0)
    assert [int(f[0, 0, 0]) for f in video] == [1, 2, 10]


def test_missing_or_empty_sources_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=f'{tmp_path}/missing.mp4: no such video file or frame folder'):
        open_video_source(str(tmp_path / 'missing.mp4'))
    with pytest.raises(FileNotFoundError, match=f'{tmp_path}: no images'):
        open_video_source(str(tmp_path))
    (tmp_path / 'broken.mp4').write_bytes(b'not a video')
    with pytest.raises(ValueError, match='broken.mp4: OpenCV cannot open this video'):
        open_video_source(str(tmp_path / 'broken.mp4'))
    (tmp_path / '000001.jpg').write_text('not an image')
    with pytest.raises(ValueError, match='000001.jpg: cannot be read as an image'):
        list(open_video_source(str(tmp_path)))
    with pytest.raises(ValueError, match="unsupported URL scheme 'ftp'"):
        open_video_source('ftp://example.org/video.mp4')


def test_source_kind():
    assert [source_kind(s) for s in (0, '3', 'rtsp://h/s', 'HTTP://h/v.mp4', 'file:///v.mp4', 'v.mp4', '.')] == \
        ['webcam', 'webcam', 'url', 'url', 'url', 'file', 'folder']
    with pytest.raises(TypeError):
        source_kind(1.5)


def test_progress_lines(capsys):
    progress = FrameProgress(total=3, interval=3600)
    lines = [progress.update() for _ in range(3)]
    assert lines[0].startswith('frame 1/3 (33%)') and lines[1] is None and lines[2].startswith('frame 3/3 (100%)')
    assert progress.close().startswith('3 frames in')
    live = FrameProgress(interval=3600)
    assert live.update().startswith('frame 1, ') and live.update() is None
    assert 'frames/s' in live.status()
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith('frame 1/3') and printed[1].startswith('frame 3/3') and len(printed) == 4
