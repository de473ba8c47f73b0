"""A tiny S-ViT recogniser trains with tools/train.py and is evaluated with tools/test.py on real .mp4 and
.webm files, decoded by mmaction2's decord (training) and PyAV (testing) pipelines."""
import json
import pickle
import re

import numpy as np

from helpers import TOY_RECOGNITION_CONFIG, run_tool, toy_video_options


def printed_metrics(output):
    found = re.findall(r'acc/top1: ([\d.]+)\s+acc/top5: ([\d.]+)\s+acc/mean1: ([\d.]+)', output)
    assert found, f'no top-1/top-5/mean class accuracy line in the output:\n{output[-3000:]}'
    return [float(v) for v in found[-1]]


def test_train_then_test_on_real_videos(toy_videos, tmp_path):
    train_dir, test_dir = tmp_path / 'train', tmp_path / 'test'
    proc = run_tool(['python', 'tools/train.py', TOY_RECOGNITION_CONFIG, '--work-dir', train_dir, '--cfg-options',
                     'randomness.seed=0', *toy_video_options(toy_videos, ['train', 'val'])])
    printed_metrics(proc.stdout + proc.stderr)  # validation after the last epoch
    checkpoint = train_dir / 'epoch_12.pth'
    assert checkpoint.exists()
    scalars = [json.loads(line) for line in next(train_dir.glob('*/vis_data/scalars.json')).read_text().splitlines()]
    losses = [s['loss'] for s in scalars if 'loss' in s]
    assert len(losses) == 24 and np.mean(losses[-4:]) < 0.8 * np.mean(losses[:4]), losses

    # Test with PyAV instead of decord: the .webm files carry no frame count, which mmaction2's
    # PyAVInit reports as 0 frames; PyAVInitWithFrameCount counts them.
    pyav = ['test_dataloader.dataset.pipeline.0.transforms.0.type=PyAVInitWithFrameCount',
            'test_dataloader.dataset.pipeline.0.transforms.2.type=PyAVDecode']
    preds = test_dir / 'preds.pkl'
    proc = run_tool(['python', 'tools/test.py', TOY_RECOGNITION_CONFIG, '--checkpoint', checkpoint, '--work-dir',
                     test_dir, '--out', preds, '--cfg-options', *toy_video_options(toy_videos, ['test']), *pyav])
    top1, top5, mean1 = printed_metrics(proc.stdout + proc.stderr)
    results = pickle.loads(preds.read_bytes())
    assert len(results) == 4
    # the printed metrics are those of the dumped multi-view-averaged scores
    labels = np.array([int(r['gt_label']) for r in results])
    scores = np.stack([r['pred_score'].numpy() for r in results])
    np.testing.assert_allclose(scores.sum(1), 1, atol=1e-5)  # averaged softmax over 2 clips x 3 crops
    assert top1 == np.mean(scores.argmax(1) == labels)
    assert mean1 == np.mean([np.mean(scores[labels == c].argmax(1) == c) for c in (0, 1)])
    assert top5 == 1.0  # two classes
    assert top1 >= 0.75  # the two classes differ in colour and direction: learnt in 12 epochs
