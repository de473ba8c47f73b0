"""Scoring MOTChallenge result files with TrackEval: a perfect file and a hand-computed imperfect one."""
import math
import os
import os.path as osp

import numpy as np
import pytest

from svm.evaluation.mot_files import evaluate_mot_files
from helpers import run_tool

# One sequence, 4 frames, two pedestrians far apart (IoU between them 0), integer boxes.
GT = {1: [(10, 10, 20, 40)] * 4, 2: [(60, 10, 20, 40)] * 4}


def write_case(root, pred_rows):
    """gt at <root>/gt/SEQ/gt/gt.txt, results at <root>/res/tracker/SEQ.txt."""
    os.makedirs(osp.join(root, 'gt', 'SEQ', 'gt'))
    os.makedirs(osp.join(root, 'res', 'tracker'))
    with open(osp.join(root, 'gt', 'SEQ', 'gt', 'gt.txt'), 'w') as f:
        for obj, boxes in GT.items():
            for t, (x, y, w, h) in enumerate(boxes, 1):
                f.write(f'{t},{obj},{x},{y},{w},{h},1,1,1\n')
    with open(osp.join(root, 'res', 'tracker', 'SEQ.txt'), 'w') as f:
        for t, tid, (x, y, w, h) in pred_rows:
            f.write(f'{t},{tid},{x},{y},{w},{h},0.9,-1,-1,-1\n')
    return osp.join(root, 'res', 'tracker'), osp.join(root, 'gt')


def test_perfect_result_scores_100(tmp_path):
    rows = [(t, obj, box) for obj, boxes in GT.items() for t, box in enumerate(boxes, 1)]
    res_dir, gt_root = write_case(str(tmp_path), rows)
    out = run_tool(['python', 'tools/analysis_tools/mot_eval.py', res_dir, '--gt-root', gt_root, '--quiet'])
    header, seq_row, combined = out.stdout.strip().splitlines()[-3:]
    values = dict(zip(header.split(), combined.split()[1:]))
    assert values['HOTA'] == values['MOTA'] == values['IDF1'] == '100.00'
    assert values['IDSW'] == '0' and values['CLR_FN'] == '0' and values['CLR_FP'] == '0'


def test_imperfect_result_matches_hand_computation(tmp_path):
    # Object 1 is tracked as id 1 in frames 1-2 and as id 3 in frames 3-4 (one identity switch);
    # object 2 is tracked as id 2 but missed in frame 4 (one false negative).
    rows = [(1, 1, GT[1][0]), (2, 1, GT[1][1]), (3, 3, GT[1][2]), (4, 3, GT[1][3]),
            (1, 2, GT[2][0]), (2, 2, GT[2][1]), (3, 2, GT[2][2])]
    res_dir, gt_root = write_case(str(tmp_path), rows)
    res = evaluate_mot_files(res_dir, gt_root, print_results=False)['COMBINED']
    # CLEAR: 8 gt boxes, 7 TP, 1 FN, 0 FP, 1 IDSW -> MOTA = 1 - (1 + 0 + 1) / 8.
    assert (res['CLR_TP'], res['CLR_FN'], res['CLR_FP'], res['IDSW']) == (7, 1, 0, 1)
    assert res['MOTA'] == pytest.approx(0.75)
    # Identity: best one-to-one map gt1<->id1 (2 frames), gt2<->id2 (3) -> IDTP 5, IDFN 8-5, IDFP 7-5;
    # IDF1 = 2*5 / (2*5 + 3 + 2).
    assert (res['IDTP'], res['IDFN'], res['IDFP']) == (5, 3, 2)
    assert res['IDF1'] == pytest.approx(10 / 15)
    # HOTA (every match has IoU 1, so all 19 thresholds agree): DetA = 7 / 8; AssA averages over the
    # 7 matches TPA / (TPA + FNA + FPA): gt1-id1 2/4 (x2), gt1-id3 2/4 (x2), gt2-id2 3/4 (x3).
    ass_a = (2 * 0.5 + 2 * 0.5 + 3 * 0.75) / 7
    assert res['DetA'] == pytest.approx(7 / 8)
    assert res['AssA'] == pytest.approx(ass_a)
    assert res['HOTA'] == pytest.approx(math.sqrt(7 / 8 * ass_a))


def test_missing_ground_truth_is_named(tmp_path):
    res_dir, gt_root = write_case(str(tmp_path), [])
    os.remove(osp.join(gt_root, 'SEQ', 'gt', 'gt.txt'))
    with pytest.raises(FileNotFoundError, match='SEQ/gt/gt.txt'):
        evaluate_mot_files(res_dir, gt_root, print_results=False)


def test_interpolation_in_the_metric_fills_gaps_and_survives_empty_videos():
    from mmdet.models.task_modules.tracking import InterpolateTracklets

    from svm.evaluation.mot_metric import postprocess_tracks
    interp = [InterpolateTracklets(min_num_frames=5, max_num_frames=20)]
    assert postprocess_tracks(np.zeros((0, 7)), interp).shape == (0, 7)  # a video without tracks
    short = np.array([[1, 0, 0, 0, 10, 10, 0.9], [2, 0, 1, 0, 11, 10, 0.9]])
    assert postprocess_tracks(short, interp).shape == (0, 7)  # only a 2-frame track: mmdet drops it
    # a 6-frame track missing frames 4 and 5 gets them back, linearly
    frames = [1, 2, 3, 6, 7, 8]
    track = np.array([[f, 3, 2 * f, 0, 2 * f + 10, 10, 0.9] for f in frames], dtype=float)
    out = postprocess_tracks(track, interp)
    assert out[:, 0].tolist() == list(range(1, 9))
    np.testing.assert_allclose(out[3, 2:6], [8, 0, 18, 10])


def frame_samples(seq, boxes_per_frame, with_gt=True):
    """One TrackDataSample per frame (TrackImgSampler style) with predictions equal to the gt."""
    import torch
    from mmdet.structures import DetDataSample, TrackDataSample
    from mmengine.structures import InstanceData
    samples = []
    for t, boxes in enumerate(boxes_per_frame):
        meta = dict(img_path=f'/data/{seq}/img1/{t + 1:06d}.jpg', frame_id=t, ori_video_length=len(boxes_per_frame))
        if with_gt:
            meta['instances'] = [dict(instance_id=i, bbox=list(b), mot_conf=1.0, category_id=1, visibility=1.0)
                                 for i, b in enumerate(boxes)]
        det = DetDataSample(metainfo=meta)
        det.pred_track_instances = InstanceData(
            instances_id=torch.arange(len(boxes)) + 5, bboxes=torch.tensor(boxes, dtype=torch.float32),
            scores=torch.full((len(boxes), ), 0.9))
        samples.append(TrackDataSample(video_data_samples=[det]))
    return samples


def test_metric_writes_submission_files(tmp_path):
    from svm.evaluation import MOTTrackEvalMetric
    metric = MOTTrackEvalMetric(format_only=True, outfile_prefix=str(tmp_path / 'sub'))
    for sample in frame_samples('MOT17-01-FRCNN', [[(10, 20, 40, 60)], [(12, 20, 42, 60)]], with_gt=False):
        metric.process({}, [sample.to_dict()])
    assert metric.evaluate(size=1) == {}  # size: the videos of the test set, as the test loop passes it
    assert sorted(os.listdir(tmp_path / 'sub' / 'default-tracker')) == ['MOT17-01-FRCNN.txt']
    lines = open(tmp_path / 'sub' / 'default-tracker' / 'MOT17-01-FRCNN.txt').read().split()
    assert lines == ['1,5,10.000,20.000,30.000,40.000,0.900,-1,-1,-1', '2,5,12.000,20.000,30.000,40.000,0.900,-1,-1,-1']


def test_metric_evaluates_again_each_validation():
    from svm.evaluation import MOTTrackEvalMetric
    metric = MOTTrackEvalMetric(postprocess_tracklet_cfg=[dict(type='InterpolateTracklets')])
    boxes = [[(10, 20, 40, 60), (60, 20, 90, 60)]] * 6
    for _ in range(2):  # e.g. validation after two epochs
        for sample in frame_samples('SEQ-A', boxes):
            metric.process({}, [sample.to_dict()])
        res = metric.evaluate(size=1)
        assert res['motchallenge-metric/HOTA'] == pytest.approx(1.0)
        assert res['motchallenge-metric/MOTA'] == pytest.approx(1.0)
        assert res['motchallenge-metric/IDF1'] == pytest.approx(1.0)


def test_rank0_writes_and_scores_the_videos_of_every_rank(tmp_path, monkeypatch):
    """Distributed testing, two ranks simulated in one process: a rank keeps its videos' rows (one results
    entry per video) and writes nothing; mmengine gathers the entries of both ranks and rank 0 writes and
    scores every video (ranks on other machines see another /tmp)."""
    import mmengine.evaluator.metric as mmengine_metric

    from svm.evaluation import MOTTrackEvalMetric
    options = dict(postprocess_tracklet_cfg=[dict(type='InterpolateTracklets')], outfile_prefix=str(tmp_path / 'res'))
    rank0, rank1 = MOTTrackEvalMetric(**options), MOTTrackEvalMetric(**options)
    boxes = [[(10, 20, 40, 60), (60, 20, 90, 60)]] * 6
    for sample in frame_samples('SEQ-B', boxes):
        rank1.process({}, [sample.to_dict()])
    for sample in frame_samples('SEQ-A', boxes):
        rank0.process({}, [sample.to_dict()])
    # mmengine keeps the first `size` (= videos of the test set) gathered entries: one entry per video
    assert [e['video'] for e in rank0.results] == ['SEQ-A'] and [e['video'] for e in rank1.results] == ['SEQ-B']
    assert not (tmp_path / 'res').exists()  # nothing is written before the gather

    def gather(results, size, device, tmpdir=None):  # rank 0's view of collect_results
        return (results + rank1.results)[:size]

    monkeypatch.setattr(mmengine_metric, 'collect_results', gather)
    res = rank0.evaluate(size=2)
    pred_dir = tmp_path / 'res' / 'default-tracker'
    assert sorted(os.listdir(pred_dir)) == ['SEQ-A.txt', 'SEQ-B.txt']
    assert len(open(pred_dir / 'SEQ-B.txt').readlines()) == 12
    assert res['motchallenge-metric/HOTA'] == pytest.approx(1.0)
    assert res['motchallenge-metric/CLR_TP'] == 24  # both videos scored
    assert rank0.results == []  # the next evaluation starts empty


def test_a_whole_video_scores_as_its_frames_one_by_one(tmp_path):
    """A TrackDataSample that holds a whole video (mmdet's video-level testing) and the same frames sent one
    by one in separate batches give the same result files and figures."""
    from mmdet.structures import TrackDataSample

    from svm.evaluation import MOTTrackEvalMetric
    boxes = [[(10, 20, 40, 60), (60, 20, 90, 60)]] * 3 + [[(12, 21, 42, 61)]] * 3
    frames = frame_samples('SEQ-A', boxes)
    by_frame = MOTTrackEvalMetric(outfile_prefix=str(tmp_path / 'frames'))
    for sample in frames:
        by_frame.process({}, [sample.to_dict()])
    whole = MOTTrackEvalMetric(outfile_prefix=str(tmp_path / 'video'))
    video = TrackDataSample(video_data_samples=[s.video_data_samples[0] for s in frames])
    whole.process({}, [video.to_dict()])
    assert whole.evaluate(size=1) == by_frame.evaluate(size=1)
    text = (tmp_path / 'frames' / 'default-tracker' / 'SEQ-A.txt').read_text()
    assert text == (tmp_path / 'video' / 'default-tracker' / 'SEQ-A.txt').read_text() and len(text.split()) == 9


def test_a_video_with_missing_frames_is_an_error():
    from svm.evaluation import MOTTrackEvalMetric
    metric = MOTTrackEvalMetric()
    for sample in frame_samples('SEQ-A', [[(10, 20, 40, 60)]] * 4)[:3]:
        metric.process({}, [sample.to_dict()])
    with pytest.raises(RuntimeError, match=r'frames missing from videos: SEQ-A \(3 of 4 frames\)'):
        metric.evaluate(size=1)


def test_sequence_without_result_file_is_an_error_unless_allowed(tmp_path, capsys):
    """A sequence with ground truth but no result file (a crashed run) is named, not silently skipped."""
    rows = [(t, obj, box) for obj, boxes in GT.items() for t, box in enumerate(boxes, 1)]
    res_dir, gt_root = write_case(str(tmp_path), rows)
    for seq in ('SEQ-LOST', 'SEQ-ALSO-LOST'):
        os.makedirs(osp.join(gt_root, seq, 'gt'))
        with open(osp.join(gt_root, seq, 'gt', 'gt.txt'), 'w') as f:
            f.write('1,1,10,10,20,40,1,1,1\n')
    with pytest.raises(FileNotFoundError, match='2 of 3 sequences .* no result file .*: SEQ-ALSO-LOST, SEQ-LOST'):
        evaluate_mot_files(res_dir, gt_root, print_results=False)
    with pytest.raises(FileNotFoundError, match='SEQ-LOST'):  # named explicitly, same
        evaluate_mot_files(res_dir, gt_root, seqs=['SEQ', 'SEQ-LOST'], print_results=False)
    results = evaluate_mot_files(res_dir, gt_root, print_results=False, allow_missing=True)  # --allow-missing
    assert sorted(results) == ['COMBINED', 'SEQ'] and results['COMBINED']['MOTA'] == pytest.approx(1.0)
    assert 'no result file for SEQ-ALSO-LOST, SEQ-LOST' in capsys.readouterr().out
    # choosing the sequences needs no option
    assert sorted(evaluate_mot_files(res_dir, gt_root, seqs=['SEQ'], print_results=False)) == ['COMBINED', 'SEQ']


@pytest.mark.parametrize('bad_row, message', [
    ('3,1,10,10,20,40', r'SEQ.txt:3: expected at least 7 comma-separated fields'),
    ('3,-2,10,10,20,40,0.9,-1,-1,-1', r'SEQ.txt:3: track id -2 is negative'),
    ('3,-1,10,10,20,40,0.9,-1,-1,-1', r'SEQ.txt:3: track id -1 is negative'),
    ('3,1.5,10,10,20,40,0.9,-1,-1,-1', r'SEQ.txt:3: track id 1.5 is not an integer'),
    ('3,1,nan,10,20,40,0.9,-1,-1,-1', r'SEQ.txt:3: x is nan, expected a finite number'),
    ('1,1,10,10,20,40,0.9,-1,-1,-1', r'SEQ.txt:3: track id 1 appears twice in frame 1 \(first at .*SEQ.txt:1\)'),
])
def test_result_rows_trackeval_cannot_read_are_named_by_file_and_line(tmp_path, bad_row, message):
    rows = [(1, 1, GT[1][0]), (2, 1, GT[1][1])]
    res_dir, gt_root = write_case(str(tmp_path), rows)
    with open(osp.join(res_dir, 'SEQ.txt'), 'a') as f:
        f.write(bad_row + '\n')
    with pytest.raises(ValueError, match=message):
        evaluate_mot_files(res_dir, gt_root, print_results=False)
