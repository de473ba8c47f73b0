"""Done-when of the MOT issue: a tiny S-ViT tracker trains through tools/train.py on tiny MOT data written
by the tests and is evaluated through tools/test.py with TrackEval's HOTA, MOTA and IDF1; its result
files score the same with tools/analysis_tools/mot_eval.py; the memory-length sweep prints its table."""
import os.path as osp
import re

import pytest

from svm.evaluation.mot_files import evaluate_mot_files
from helpers import TINY_MOT_CONFIG, free_port, run_tool, tiny_data_options

# Two epochs on 14 frames teach the detector little (its scores stay below 0.01), so the test
# tracks every detection (thresholds 0, NMS at IoU 0.3) and keeps the short tracks that interpolation
# would drop: every figure below then comes from real, non-empty result files.
TRACK_ALL = ['model.tracker.obj_score_thrs.high=0.0', 'model.tracker.obj_score_thrs.low=0.0',
             'model.tracker.init_track_thr=0.0', 'model.detector.test_cfg.score_thr=0.0',
             'model.detector.test_cfg.nms.iou_threshold=0.3', 'test_evaluator.postprocess_tracklet_cfg=[]']


def logged_metrics(text: str) -> dict:
    """The metric figures of mmengine's final test log line."""
    return {k: float(v) for k, v in re.findall(r'motchallenge-metric/(\w+): (-?[\d.]+)', text)}


@pytest.fixture(scope='module')
def trained(tiny_mot, tmp_path_factory):
    work = tmp_path_factory.mktemp('tiny_mot_work')
    opts = tiny_data_options(tiny_mot['root'])
    proc = run_tool(['python', 'tools/train.py', TINY_MOT_CONFIG, '--work-dir', work, '--cfg-options', *opts])
    assert 'Epoch(train) [2][7/7]' in proc.stdout + proc.stderr
    return dict(ckpt=osp.join(work, 'epoch_2.pth'), work=str(work), opts=opts)


@pytest.fixture(scope='module')
def tested(trained):
    """tools/test.py on the trained tracker, every detection tracked (TRACK_ALL), result files written:
    ``dict(log=<stdout and stderr>, res_dir=<the result files' folder>)``."""
    res_dir = osp.join(trained['work'], 'results')
    proc = run_tool(['python', 'tools/test.py', TINY_MOT_CONFIG, '--checkpoint', trained['ckpt'], '--work-dir',
                     trained['work'], '--cfg-options', *trained['opts'], *TRACK_ALL,
                     f'test_evaluator.outfile_prefix={res_dir}'])
    return dict(log=proc.stdout + proc.stderr, res_dir=res_dir)


def test_tiny_tracker_trains_tests_and_scores(tiny_mot, tested):
    out, res_dir = tested['log'], tested['res_dir']
    for table in ('HOTA: default-tracker-pedestrian', 'CLEAR: default-tracker-pedestrian',
                  'Identity: default-tracker-pedestrian'):
        assert table in out  # TrackEval's own tables
    metrics = logged_metrics(out)
    for name in ('HOTA', 'DetA', 'AssA', 'MOTA', 'MOTP', 'IDSW', 'IDF1', 'IDP', 'IDR', 'CLR_TP', 'CLR_FN'):
        assert name in metrics
    assert metrics['CLR_TP'] + metrics['CLR_FN'] == 20  # 2 half-val videos x 5 frames x 2 objects
    assert metrics['CLR_FP'] > 0 and metrics['MOTA'] < 0  # many false tracks from an untrained detector
    # The written result files (after interpolation) give the same figures when scored on their own
    # against the half-val ground truth that mot2coco wrote.
    rescored = evaluate_mot_files(osp.join(res_dir, 'default-tracker'), osp.join(tiny_mot['root'], 'train'),
                                  '{gt_folder}/{seq}/gt/gt_half-val.txt', print_results=False)['COMBINED']
    for name in ('HOTA', 'MOTA', 'IDF1', 'CLR_TP', 'CLR_FP', 'IDSW'):
        assert rescored[name] == pytest.approx(metrics[name], abs=1e-4), name


def test_memory_sweep_prints_a_table(trained, tmp_path):
    proc = run_tool(['python', 'tools/experiments/memory_sweep.py', TINY_MOT_CONFIG, '--checkpoint',
                     trained['ckpt'], '--memory-lens', '1', '4', '--work-dir', tmp_path, '--cfg-options',
                     *trained['opts']])
    lines = proc.stdout.strip().splitlines()
    header = lines.index('| memory_len | HOTA | MOTA | IDF1 | DetA | AssA | IDSW |')
    rows = [line.strip('|').split('|') for line in lines[header + 2:header + 4]]
    assert [r[0].strip() for r in rows] == ['1', '4'] and all(len(r) == 7 for r in rows)
    assert osp.isfile(osp.join(tmp_path, 'memory_sweep.json'))
    with open(osp.join(tmp_path, 'memory_sweep.png'), 'rb') as f:  # the plot too, no second command
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'


def test_two_processes_track_like_one(trained, tested, tmp_path):
    """dist_test.sh with 2 CPU processes (gloo): each process tracks whole videos with its own memory,
    and the gathered results score exactly as one process's (the test run of ``tested``)."""
    two = run_tool(['bash', 'tools/dist_test.sh', TINY_MOT_CONFIG, '2', '--checkpoint', trained['ckpt'],
                    '--work-dir', tmp_path / 'two', '--cfg-options', *trained['opts'], *TRACK_ALL],
                   env={'PORT': str(free_port())})
    assert 'GPU number: 2' in two.stdout + two.stderr  # mmengine's name for the world size
    one_metrics, two_metrics = logged_metrics(tested['log']), logged_metrics(two.stdout + two.stderr)
    assert one_metrics and one_metrics == two_metrics
