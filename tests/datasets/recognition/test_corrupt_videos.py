"""A corrupt or missing video is reported with its path; training can skip it with a warning."""
import re
import shutil

import pytest

from helpers import REPO_ROOT, TOY_RECOGNITION_CONFIG, read_run_logs, run_training_in_process, toy_video_options


def decoding_steps():
    return [dict(type='DecordInit'), dict(type='SampleFrames', clip_len=4, num_clips=1),
            dict(type='DecordDecode')]


def test_guard_names_the_corrupt_and_the_missing_file(tmp_path, toy_videos):
    from mmengine.registry import init_default_scope

    from svm.datasets.recognition import VideoDecodeError, VideoDecodeGuard
    init_default_scope('mmaction')
    corrupt = tmp_path / 'corrupt.mp4'
    corrupt.write_bytes(b'\x00\x00\x00\x18ftypmp42' + bytes(range(256)) * 20)
    guard = VideoDecodeGuard(decoding_steps())
    with pytest.raises(VideoDecodeError, match=f'cannot decode video {corrupt}'):
        guard(dict(filename=str(corrupt), start_index=0, modality='RGB'))
    with pytest.raises(FileNotFoundError, match=f'video file not found: {tmp_path / "gone.mp4"}'):
        guard(dict(filename=str(tmp_path / 'gone.mp4'), start_index=0, modality='RGB'))
    assert VideoDecodeGuard(decoding_steps(), skip_corrupt=True)(
        dict(filename=str(corrupt), start_index=0, modality='RGB')) is None
    good = next(toy_videos['root'].glob('*.mp4'))
    decoded = guard(dict(filename=str(good), start_index=0, modality='RGB'))
    assert decoded['imgs'][0].shape == (64, 96, 3) and len(decoded['imgs']) == 4


@pytest.fixture
def videos_with_a_corrupt_one(tmp_path, toy_videos):
    root = tmp_path / 'videos'
    shutil.copytree(toy_videos['root'], root)
    (root / 'broken.mp4').write_bytes(b'not a video at all' * 100)
    train_list = root / 'train_list_videos.txt'
    train_list.write_text('broken.mp4 0\n' + train_list.read_text())
    return dict(root=root, train=train_list, val=root / 'val_list_videos.txt')


def test_training_stops_at_a_corrupt_video_with_its_path(tmp_path, videos_with_a_corrupt_one):
    """What tools/train.py runs, in this process (tests/tools/test_recognition_end_to_end.py runs the tool)."""
    from svm.datasets.recognition import VideoDecodeError
    options = ['train_cfg.max_epochs=1', 'train_dataloader.sampler.shuffle=False',
               *toy_video_options(videos_with_a_corrupt_one, ['train', 'val'])]
    broken = videos_with_a_corrupt_one['root'] / 'broken.mp4'
    with pytest.raises(VideoDecodeError, match=re.escape(f'cannot decode video {broken}')):
        run_training_in_process(TOY_RECOGNITION_CONFIG, tmp_path / 'w', *options)

    run_training_in_process(TOY_RECOGNITION_CONFIG, tmp_path / 'skip', *options,
                            'train_dataloader.dataset.pipeline.0.skip_corrupt=True')
    log = read_run_logs(tmp_path / 'skip')
    assert 'broken.mp4' in log and 'skipped (skip_corrupt=True)' in log
    assert (tmp_path / 'skip' / 'epoch_1.pth').exists()


SYNTHETIC_CONFIG = 'configs/recognition/svm/svm_stream-tiny_1xb16-8x1x1-24e_synthetic-order-actions.py'


@pytest.mark.parametrize('loader', ['train_dataloader', 'test_dataloader'])
def test_truncated_video_in_the_synthetic_pipeline_is_named(tmp_path, toy_videos, loader):
    """A download cut short: decord reports "Error reading N bytes..." alone; the config's pipeline names the file."""
    from mmengine.config import Config
    from mmengine.dataset import Compose
    from mmengine.registry import init_default_scope

    from svm.datasets.recognition import VideoDecodeError
    init_default_scope('mmaction')
    good = sorted(toy_videos['root'].glob('*.mp4'))[0]
    truncated = tmp_path / 'truncated.mp4'
    truncated.write_bytes(good.read_bytes()[:good.stat().st_size // 2])
    pipeline = Compose(Config.fromfile(REPO_ROOT / SYNTHETIC_CONFIG)[loader].dataset.pipeline)
    with pytest.raises(VideoDecodeError, match=re.escape(f'cannot decode video {truncated}')):
        pipeline(dict(filename=str(truncated), label=0, start_index=0, modality='RGB'))
    assert pipeline(dict(filename=str(good), label=0, start_index=0, modality='RGB'))['inputs'].shape[-3] == 8
