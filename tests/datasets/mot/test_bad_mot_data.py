"""Bad MOT annotation files and unreadable frames are reported with the file (and line) at fault."""
import json
import os
import os.path as osp
import pickle
import shutil
from pathlib import Path

import pytest

from svm.datasets.mot.coco_video import MOTDataError, convert_mot_challenge
from svm.datasets.mot.mot_challenge import write_seqinfo
from svm.datasets.mot.motsynth import convert_motsynth
from helpers import tiny_seqinfo, write_tiny_mot


def convert(root: str, convert_det: bool = False) -> None:
    """What ``mot2coco.py -i <root> -o <root>/annotations --split-train [--convert-det]`` does."""
    convert_mot_challenge(root, osp.join(root, 'annotations'), split_train=True, convert_det=convert_det)


def conversion_error(root: str, error=ValueError, convert_det: bool = False) -> str:
    """The message of the error that converting ``root`` raises."""
    with pytest.raises(error) as info:
        convert(root, convert_det)
    return str(info.value)


def insert_line(path: str, line_no: int, line: str) -> None:
    """Insert ``line`` so that it becomes line ``line_no`` (1-based) of the file."""
    with open(path) as f:
        lines = f.read().splitlines()
    lines.insert(line_no - 1, line)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


@pytest.mark.parametrize('bad_line, message', [
    ('3,1,10,10,16,24,1,1', 'expected at least 9 comma-separated fields'),
    ('3,one,10,10,16,24,1,1,1.0', 'expected numbers in frame,id,x,y,w,h'),
    ('0,1,10,10,16,24,1,1,1.0', 'frame 0 is outside the sequence'),
    ('3,-2,10,10,16,24,1,1,1.0', 'object id -2 must be a positive integer'),
    ('3,1,10,10,16,24,1,1,1.0', 'object id 1 appears twice in frame 3'),
    ('3,7,10,10,0,24,1,1,1.0', 'box width and height must be positive'),
    # non-finite values: float() takes them, json would write NaN/Infinity
    ('3,7,nan,10,16,24,1,1,1.0', 'x is nan, expected a finite number'),
    ('3,7,10,10,inf,24,1,1,1.0', 'w is inf, expected a finite number'),
    ('3,7,10,10,16,-Infinity,1,1,1.0', 'h is -Infinity, expected a finite number'),
    ('3,7,10,10,16,24,1,1,NaN', 'visibility is NaN, expected a finite number'),
    ('NaN,7,10,10,16,24,1,1,1.0', 'frame is NaN, expected a finite number'),
    ('3.5,7,10,10,16,24,1,1,1.0', 'frame 3.5 is not an integer, expected a whole frame number'),
])
def test_bad_gt_line_is_named_with_file_and_line(tmp_path, bad_line, message):
    root = str(tmp_path)
    write_tiny_mot(root, num_seqs=1, num_frames=12, num_objs=2)
    gt_path = osp.join(root, 'train', 'TINY-01', 'gt', 'gt.txt')
    insert_line(gt_path, 6, bad_line)
    assert f'{gt_path}:6: {message}' in conversion_error(root)
    assert not osp.exists(osp.join(root, 'annotations', 'train_cocoformat.json'))


def test_missing_frames_listed_by_seqinfo_are_named(tmp_path):
    root = str(tmp_path)
    write_tiny_mot(root, num_seqs=1, num_frames=12, num_objs=2)
    for frame in (7, 9):
        os.remove(osp.join(root, 'train', 'TINY-01', 'img1', f'{frame:06d}.jpg'))
    assert (f'{osp.join(root, "train", "TINY-01", "img1")}: 2 of the 12 frames listed by seqinfo.ini (seqLength) '
            f'are missing: 000007.jpg, 000009.jpg') in conversion_error(root)


def test_every_problem_is_reported_at_once_and_nothing_written(tmp_path):
    """A user fixed one problem per run: the first missing frame of the first sequence was all the error said,
    and the half split had written gt_half-train.txt before it failed."""
    root = str(tmp_path)
    write_tiny_mot(root, num_seqs=3, num_frames=12, num_objs=2)
    seq1, seq2, seq3 = (osp.join(root, 'train', f'TINY-0{i}') for i in (1, 2, 3))
    os.remove(osp.join(seq1, 'img1', '000003.jpg'))
    insert_line(osp.join(seq2, 'gt', 'gt.txt'), 2, '3,7,10,10,0,24,1,1,1.0')
    insert_line(osp.join(seq2, 'gt', 'gt.txt'), 5, '4,x,10,10,16,24,1,1,1.0')
    insert_line(osp.join(seq2, 'det', 'det.txt'), 1, '1,-1,10,10,16,nan,0.9')
    os.remove(osp.join(seq3, 'seqinfo.ini'))
    os.makedirs(osp.join(root, 'test'))
    with pytest.raises(MOTDataError) as info:
        convert(root, convert_det=True)
    assert info.value.problems == [
        f'{seq1}/img1: 1 of the 12 frames listed by seqinfo.ini (seqLength) are missing: 000003.jpg',
        f'{seq2}/gt/gt.txt:2: box width and height must be positive, got 0.0x24.0',
        f"{seq2}/gt/gt.txt:5: expected numbers in frame,id,x,y,w,h,conf,class,visibility, got "
        f"'4,x,10,10,16,24,1,1,1.0'",
        f'{seq2}/det/det.txt:1: h is nan, expected a finite number (in \'1,-1,10,10,16,nan,0.9\')',
        f'{seq3}/seqinfo.ini not found: every MOTChallenge sequence needs a seqinfo.ini']
    assert str(info.value).startswith(f'5 problems in {root}, nothing written:\n  {seq1}/img1: 1 of the 12')
    assert not osp.exists(osp.join(root, 'annotations'))
    assert sorted(os.listdir(osp.join(seq2, 'gt'))) == ['gt.txt']  # no gt_half-*.txt


def test_many_bad_rows_of_one_file_are_counted(tmp_path):
    root = str(tmp_path)
    write_tiny_mot(root, num_seqs=1, num_frames=12, num_objs=2)
    gt_path = osp.join(root, 'train', 'TINY-01', 'gt', 'gt.txt')
    with open(gt_path) as f:
        rows = f.read().splitlines()
    with open(gt_path, 'w') as f:
        f.write('\n'.join(row.replace(',16,24,', ',16,-24,') for row in rows) + '\n')  # every height negative
    with pytest.raises(MOTDataError) as info:
        convert(root)
    assert len(info.value.problems) == 11 and info.value.problems[-1] == f'{gt_path}: 14 more bad rows'


def test_corrupt_frame_is_named_when_loaded(tmp_path):
    from mmcv.transforms import LoadImageFromFile
    corrupt = tmp_path / '000001.jpg'
    corrupt.write_bytes(b'\xff\xd8 not really a jpeg')
    with pytest.raises(AssertionError, match=f'failed to load image: {corrupt}'):
        LoadImageFromFile()(dict(img_path=str(corrupt)))
    with pytest.raises(FileNotFoundError, match=str(tmp_path / 'gone.jpg')):
        LoadImageFromFile()(dict(img_path=str(tmp_path / 'gone.jpg')))


@pytest.mark.parametrize('bad_line, message', [
    ('4,-1,nan,10,16,24,0.9', 'x is nan, expected a finite number'),
    ('4,-1,10,10,16,inf,0.9', 'h is inf, expected a finite number'),
    ('nan,-1,10,10,16,24,0.9', 'frame is nan, expected a finite number'),
    ('4,-1,10,10,16,24', 'expected at least 7 comma-separated fields'),
])
def test_bad_public_detection_line_is_named_with_file_and_line(tmp_path, bad_line, message):
    root = str(tmp_path)
    write_tiny_mot(root, num_seqs=1, num_frames=12, num_objs=2)
    det_path = osp.join(root, 'train', 'TINY-01', 'det', 'det.txt')
    insert_line(det_path, 4, bad_line)
    assert f'{det_path}:4: {message}' in conversion_error(root, convert_det=True)


def test_empty_gt_file_is_refused_at_conversion(tmp_path):
    root = str(tmp_path)
    write_tiny_mot(root, num_seqs=2, num_frames=12, num_objs=2)
    gt_path = osp.join(root, 'train', 'TINY-02', 'gt', 'gt.txt')
    open(gt_path, 'w').close()
    assert f'{gt_path} is empty: expected ground-truth rows' in conversion_error(root)
    assert not osp.exists(osp.join(root, 'annotations', 'train_cocoformat.json'))


def test_seqinfo_size_that_differs_from_the_frames_is_refused(tmp_path):
    root = str(tmp_path)
    write_tiny_mot(root, num_seqs=1, num_frames=12, num_objs=2)
    seq_dir = osp.join(root, 'train', 'TINY-01')
    seqinfo = osp.join(seq_dir, 'seqinfo.ini')
    with open(seqinfo) as f:
        text = f.read()
    with open(seqinfo, 'w') as f:
        f.write(text.replace('imWidth=96', 'imWidth=1920').replace('imHeight=64', 'imHeight=1080'))
    assert (f'{seqinfo} declares imWidth x imHeight = 1920x1080, but its first frame '
            f'{osp.join(seq_dir, "img1", "000001.jpg")} is 96x64') in conversion_error(root)
    assert not osp.exists(osp.join(root, 'annotations', 'train_cocoformat.json'))


@pytest.mark.parametrize('key, value', [('seqLength', 'nan'), ('frameRate', 'inf'), ('imWidth', '0'),
                                        ('imHeight', 'sixty')])
def test_seqinfo_number_that_is_not_a_positive_whole_number_is_named(tmp_path, key, value):
    root = str(tmp_path)
    write_tiny_mot(root, num_seqs=1, num_frames=12, num_objs=2)
    seqinfo = osp.join(root, 'train', 'TINY-01', 'seqinfo.ini')
    with open(seqinfo) as f:
        lines = [f'{key}={value}' if line.startswith(f'{key}=') else line for line in f.read().splitlines()]
    with open(seqinfo, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    assert f'{seqinfo}: {key}={value}, expected a positive whole number' in conversion_error(root)


def test_frames_and_rows_beyond_seqlength_are_left_out_with_a_warning(tmp_path, capsys):
    """Frames on disk, ground-truth rows and public detections beyond seqLength are all treated alike (rows
    beyond it were an error while frames beyond it were a warning)."""
    root = str(tmp_path)
    write_tiny_mot(root, num_seqs=1, num_frames=12, num_objs=2)  # 12 frames, gt and det rows in 1..12
    seq_dir = osp.join(root, 'train', 'TINY-01')
    write_seqinfo(seq_dir, tiny_seqinfo('TINY-01', 10))
    convert(root, convert_det=True)
    stderr = capsys.readouterr().err
    assert (f'{osp.join(seq_dir, "seqinfo.ini")} declares seqLength=10 but {osp.join(seq_dir, "img1")} holds '
            f'12 .jpg frames: the 2 frames beyond seqLength are left out') in stderr
    for name in ('gt/gt.txt', 'det/det.txt'):
        assert (f'{osp.join(seq_dir, name)} has 4 row(s) in frames 11..12, beyond seqLength=10: left out'
                in stderr)
    assert stderr.count('beyond seqLength') == 3  # once each, although --split-train reads it 3 times
    train = json.load(open(osp.join(root, 'annotations', 'train_cocoformat.json')))
    assert len(train['images']) == 10 and max(a['image_id'] for a in train['annotations']) == 10
    with open(osp.join(root, 'annotations', 'train_detections.pkl'), 'rb') as f:
        assert len(pickle.load(f)['det_bboxes']) == 10


def write_tiny_motsynth(root: Path, num_frames: int = 6) -> Path:
    """MOTSynth's layout (mot_annotations/<seq>/{seqinfo.ini, gt/gt.txt}, frames/<seq>/rgb/0001.jpg ...)
    made from one write_tiny_mot sequence, without the video extraction. Returns the gt.txt path."""
    write_tiny_mot(str(root / 'mot'), num_seqs=1, num_frames=num_frames, num_objs=2)
    src = root / 'mot' / 'train' / 'TINY-01'
    ann_dir, frame_dir = root / 'mot_annotations' / 'TINY-01', root / 'frames' / 'TINY-01' / 'rgb'
    os.makedirs(ann_dir / 'gt')
    os.makedirs(frame_dir)
    write_seqinfo(str(ann_dir), tiny_seqinfo('TINY-01', num_frames, im_dir='rgb'))
    shutil.copy(src / 'gt' / 'gt.txt', ann_dir / 'gt' / 'gt.txt')
    for i in range(1, num_frames + 1):
        shutil.copy(src / 'img1' / f'{i:06d}.jpg', frame_dir / f'{i:04d}.jpg')
    return ann_dir / 'gt' / 'gt.txt'


def motsynth_error(root: Path) -> str:
    """The message of the error that converting the MOTSynth layout under ``root`` raises."""
    with pytest.raises(ValueError) as info:
        convert_motsynth(str(root), str(root / 'annotations'))
    return str(info.value)


def test_motsynth_bad_gt_and_seqinfo_are_refused(tmp_path):
    gt_path = write_tiny_motsynth(tmp_path)
    convert_motsynth(str(tmp_path), str(tmp_path / 'annotations'))  # the tiny layout itself converts
    clean = gt_path.read_text()

    insert_line(str(gt_path), 3, '2,9,10,10,nan,24,1,1,1.0')
    assert f'{gt_path}:3: w is nan, expected a finite number' in motsynth_error(tmp_path)

    gt_path.write_text('')
    assert f'{gt_path} is empty: expected ground-truth rows' in motsynth_error(tmp_path)

    gt_path.write_text(clean)
    seqinfo = tmp_path / 'mot_annotations' / 'TINY-01' / 'seqinfo.ini'
    seqinfo.write_text(seqinfo.read_text().replace('imWidth=96', 'imWidth=1920'))
    first = tmp_path / 'frames' / 'TINY-01' / 'rgb' / '0001.jpg'
    assert (f'{seqinfo} declares imWidth x imHeight = 1920x64, but its first frame {first} is 96x64'
            in motsynth_error(tmp_path))
