"""demo/track_recognition_demo.py on a generated crowd-flow sequence with an untrained track recognizer (a step of
`make track-recognition-demo`)."""
import cv2
import pytest
import torch

from svm.apis import init_tracker
from svm.datasets.synthetic.mot import FLOW_CLASSES, preset_config, write_mot_benchmark
from helpers import REPO_ROOT, load_script, run_tool

TRACK_RECOGNITION_CONFIG = REPO_ROOT / (
    'configs/track_recognition/svm/bytetrack-action-head_svit-tiny_yolox_synthetic-mot-flow.py')
NUM_FRAMES = 10


@pytest.fixture(scope='module')
def flow_set(tmp_path_factory):
    """Two validation sequences of the flow preset (one per class) and an untrained track recognizer checkpoint."""
    root = tmp_path_factory.mktemp('flow')
    write_mot_benchmark(str(root), num_train=1, num_val=2, cfg=preset_config('flow', num_frames=NUM_FRAMES),
                        flow_classes=FLOW_CLASSES)
    torch.manual_seed(0)
    state = init_tracker(TRACK_RECOGNITION_CONFIG).state_dict()
    for level in range(3):  # an untrained detector finds hundreds of boxes: few, as a trained one, keep it fast
        state[f'detector.bbox_head.multi_level_conv_obj.{level}.bias'].fill_(-3.0)
    checkpoint = root / 'track_recognizer.pth'
    torch.save(dict(state_dict=state), checkpoint)
    return dict(root=root, checkpoint=checkpoint)


def test_demo_writes_the_video_and_compares_with_the_separate_models(flow_set, tmp_path):
    out = tmp_path / 'tracks_and_action.mp4'
    proc = run_tool(['python', 'demo/track_recognition_demo.py', flow_set['root'] / 'val/SYN-51/img1', '--config',
                     TRACK_RECOGNITION_CONFIG, '--checkpoint', flow_set['checkpoint'], '--out', out, '--topk', '2',
                     '--compare', '--compare-frames', '6'])
    video = cv2.VideoCapture(str(out))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == NUM_FRAMES
    assert (int(video.get(cv2.CAP_PROP_FRAME_WIDTH)), int(video.get(cv2.CAP_PROP_FRAME_HEIGHT))) == (320, 192)
    video.release()
    assert f'{NUM_FRAMES} frames' in proc.stdout and 'walk-' in proc.stdout
    for row in ('track recognizer (one backbone pass)', 'tracker alone', 'recogniser alone', 'tracker + recogniser'):
        assert row in proc.stdout
    assert 'same tracks: True' in proc.stdout


def test_demo_trains_both_stages_with_its_training_seed(monkeypatch, tmp_path):
    """tools/track_recognition_demo_main.py --train-seed N: both stages train with randomness.seed=N (the commands
    it would run, recorded; nothing is trained)."""
    script = load_script('tools/track_recognition_demo_main.py')
    trained = []

    class TwoStages(Exception):
        pass

    def train(config, work_dir, retrain, *options):
        trained.append((config, options))
        if len(trained) == 2:
            raise TwoStages
        return 'tracker.pth'

    monkeypatch.setitem(script.main.__globals__, 'train', train)
    monkeypatch.setitem(script.main.__globals__, 'run', lambda command: None)  # no set is generated either
    with pytest.raises(TwoStages):
        script.main(['--train-seed', '3', '--data-root', str(tmp_path)])
    assert [config for config, _ in trained] == [script.TRACKER_CONFIG, script.ACTION_CONFIG]
    assert all(options[-1] == 'randomness.seed=3' for _, options in trained)
