"""Recognition annotation lists with a bad line are refused with the file, the line and what was expected."""
import re

import pytest

from helpers import TOY_RECOGNITION_CONFIG, run_training_in_process


def build(ann_file, num_classes=None):
    # the class itself: a registry build would depend on the default scope earlier tests left behind;
    # the configs' use of the registered type is covered by the training test below
    from svm.datasets.recognition import CheckedVideoDataset
    return CheckedVideoDataset(str(ann_file), pipeline=[], data_prefix=dict(video='videos'), num_classes=num_classes)


def test_a_good_list_reads_as_mmaction2_reads_it(tmp_path):
    from mmaction.datasets import VideoDataset
    ann_file = tmp_path / 'list.txt'
    ann_file.write_text('a/1.mp4 0\nb/2.webm 1\nc/3.mp4\n')
    checked = build(ann_file, num_classes=2)
    plain = VideoDataset(str(ann_file), pipeline=[], data_prefix=dict(video='videos'))
    assert [checked.get_data_info(i) for i in range(3)] == [plain.get_data_info(i) for i in range(3)]
    assert [checked.get_data_info(i)['label'] for i in range(3)] == [0, 1, -1]  # one column: unlabelled


@pytest.mark.parametrize('bad_line, message', [
    ('c/3.mp4 1 extra', 'expected "<video path> <label>", got 3 columns'),
    ('c/3.mp4 cat', "label 'cat' is not an integer class index"),
    ('c/3.mp4 -1', 'label -1 is negative'),
    ('c/3.mp4 2', 'label 2 is not below num_classes=2'),
])
def test_a_bad_line_is_named_with_its_file_and_number(tmp_path, bad_line, message):
    ann_file = tmp_path / 'list.txt'
    ann_file.write_text(f'a/1.mp4 0\nb/2.mp4 1\n{bad_line}\n')
    with pytest.raises(ValueError, match='^' + re.escape(f'{ann_file}:3: {message}')):
        build(ann_file, num_classes=2)


def test_a_missing_list_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=f'annotation list {tmp_path / "nope.txt"} does not exist'):
        build(tmp_path / 'nope.txt')


def test_training_refuses_a_label_beyond_the_classifier_before_it_starts(tmp_path):
    ann_file = tmp_path / 'train_list.txt'
    ann_file.write_text('a.mp4 0\nb.mp4 7\n')
    with pytest.raises(ValueError, match=re.escape(f'{ann_file}:2: label 7 is not below num_classes=2')):
        run_training_in_process(TOY_RECOGNITION_CONFIG, tmp_path / 'work',
                                f'train_dataloader.dataset.ann_file={ann_file}')  # what tools/train.py runs
    assert not list((tmp_path / 'work').glob('*.pth'))
