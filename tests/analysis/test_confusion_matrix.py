"""tools/analysis_tools/confusion_matrix.py and svm/analysis/confusion_matrix.py: known answers, and the pickle of
tools/test.py --out (mmaction2 ActionDataSamples dumped as dicts by mmengine's DumpResults)."""
import json
import pickle

import numpy as np
import pytest
import torch

from svm.analysis.confusion_matrix import (action_results, confusion_matrix, confusion_of_results, normalize_rows,
                                           num_classes_of, summarize)
from helpers import TOY_RECOGNITION_CONFIG, run_tool
from svm.utils.config_checks import resolve_config

GT = [0, 0, 1, 1, 2, 2, 2]
PRED = [0, 1, 1, 1, 2, 0, 2]


def test_matrix_known_answer():
    matrix = confusion_matrix(GT, PRED, 3)
    assert matrix.dtype == np.int64
    assert matrix.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 2]]  # rows: true class, columns: predicted
    assert normalize_rows(matrix) == pytest.approx(np.array([[.5, .5, 0], [0, 1, 0], [1 / 3, 0, 2 / 3]]))
    summary = summarize(matrix)
    assert summary['top1'] == pytest.approx(5 / 7) and summary['num_samples'] == 7
    assert summary['recall'] == pytest.approx([.5, 1., 2 / 3])
    assert summary['precision'] == pytest.approx([.5, 2 / 3, 1.])
    assert summary['mean_class_accuracy'] == pytest.approx((.5 + 1 + 2 / 3) / 3)
    # a class without samples: an empty row (0 after normalising), left out of the mean class accuracy
    sparse = summarize(confusion_matrix([0, 0], [0, 2], 3))
    assert sparse['recall'] == [0.5, None, None] and sparse['mean_class_accuracy'] == pytest.approx(0.5)
    assert normalize_rows(confusion_matrix([0], [1], 2)).tolist() == [[0., 1.], [0., 0.]]
    with pytest.raises(ValueError, match='true label 3 is outside the 3 classes'):
        confusion_matrix([3], [0], 3)
    with pytest.raises(ValueError, match='2 true labels but 1 predictions'):
        confusion_matrix([0, 1], [0], 3)


def action_samples(gt, pred, num_classes, as_dicts=True):
    from mmaction.structures import ActionDataSample
    samples = []
    for g, p in zip(gt, pred):
        score = torch.full((num_classes, ), 0.1 / num_classes)
        score[p] += 0.9
        sample = ActionDataSample().set_gt_label(g).set_pred_score(score)
        samples.append(sample.to_dict() if as_dicts else sample)
    return samples


def test_reads_action_data_samples():
    for as_dicts in (True, False):
        scores, labels = action_results(action_samples(GT, PRED, 3, as_dicts))
        assert scores.shape == (7, 3) and labels.tolist() == GT and scores.argmax(1).tolist() == PRED
    with pytest.raises(KeyError, match='no pred_score or gt_label'):
        action_results([{'pred_instances': 1}])


def write_results(path, gt, pred, num_classes):
    with open(path, 'wb') as f:  # what DumpResults writes
        pickle.dump(action_samples(gt, pred, num_classes), f)
    return path


def test_tool_on_test_py_pickle(tmp_path):
    """The command line on the pickle of tools/test.py --out: image, JSON and the top-1 printed."""
    results = write_results(tmp_path / 'preds.pkl', [0, 0, 0, 1, 1], [0, 0, 1, 1, 1], 2)
    labels = tmp_path / 'classes.txt'
    labels.write_text('left-to-right\nright-to-left\n')
    out = tmp_path / 'cm.png'
    proc = run_tool(['python', 'tools/analysis_tools/confusion_matrix.py', TOY_RECOGNITION_CONFIG, results,
                     '--out', out, '--json', '--label-file', labels])
    with open(out, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    saved = json.loads((tmp_path / 'cm.json').read_text())
    assert saved['matrix'] == [[2, 1], [0, 2]] and saved['top1'] == pytest.approx(0.8)
    assert saved['class_names'] == ['left-to-right', 'right-to-left']
    assert saved['mean_class_accuracy'] == pytest.approx((2 / 3 + 1) / 2)
    assert 'top-1 80.00%' in proc.stdout


def test_results_must_fit_the_config(tmp_path):
    num_classes = num_classes_of(resolve_config(TOY_RECOGNITION_CONFIG))
    assert num_classes == 2
    results = write_results(tmp_path / 'preds.pkl', [0, 0, 0, 1, 1], [0, 0, 1, 1, 1], 2)
    result = confusion_of_results(str(results), num_classes, TOY_RECOGNITION_CONFIG)
    assert result['matrix'].tolist() == [[2, 1], [0, 2]] and result['top1'] == pytest.approx(0.8)
    # scores of a model with another number of classes are refused, and so are class names that do not fit
    with pytest.raises(ValueError, match='scores for 3 classes, config .* has 2'):
        confusion_of_results(str(write_results(tmp_path / 'three.pkl', [0, 1], [0, 2], 3)), num_classes,
                             TOY_RECOGNITION_CONFIG)
    with pytest.raises(ValueError, match='3 class names for the 2 classes'):
        confusion_of_results(str(results), num_classes, TOY_RECOGNITION_CONFIG, ['a', 'b', 'c'])
    not_recognition = tmp_path / 'detector.py'
    not_recognition.write_text("model = dict(type='YOLOX', bbox_head=dict(num_classes=1))\n")
    with pytest.raises(ValueError, match='model.cls_head.num_classes'):
        num_classes_of(resolve_config(str(not_recognition)))
