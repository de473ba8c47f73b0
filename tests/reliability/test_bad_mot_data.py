"""Bad MOT annotation files and unreadable frames are reported with the file (and line) at fault."""
import os
import os.path as osp

import pytest

from tests.conftest import run_tool
from tests.mot.conftest import write_tiny_mot


def convert(root):
    return run_tool(['python', 'tools/dataset_converters/mot2coco.py', '-i', root, '-o',
                     osp.join(root, 'annotations'), '--split-train'], check=False)


@pytest.mark.parametrize('bad_line, message', [
    ('3,1,10,10,16,24,1,1', 'expected at least 9 comma-separated fields'),
    ('3,one,10,10,16,24,1,1,1.0', 'expected numbers in frame,id,x,y,w,h'),
    ('13,1,10,10,16,24,1,1,1.0', 'frame 13 is outside the sequence (1..12)'),
    ('0,1,10,10,16,24,1,1,1.0', 'frame 0 is outside the sequence'),
    ('3,-2,10,10,16,24,1,1,1.0', 'object id -2 must be a positive integer'),
    ('3,1,10,10,16,24,1,1,1.0', 'object id 1 appears twice in frame 3'),
    ('3,7,10,10,0,24,1,1,1.0', 'box width and height must be positive'),
])
def test_bad_gt_line_is_named_with_file_and_line(tmp_path, bad_line, message):
    root = str(tmp_path)
    write_tiny_mot(root, num_seqs=1, num_frames=12, num_objs=2)
    gt_path = osp.join(root, 'train', 'TINY-01', 'gt', 'gt.txt')
    with open(gt_path) as f:
        lines = f.read().splitlines()
    lines.insert(5, bad_line)
    with open(gt_path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    proc = convert(root)
    assert proc.returncode != 0
    assert f'{gt_path}:6: {message}' in proc.stderr
    assert not osp.exists(osp.join(root, 'annotations', 'train_cocoformat.json'))


def test_missing_frame_listed_by_seqinfo_is_named(tmp_path):
    root = str(tmp_path)
    write_tiny_mot(root, num_seqs=1, num_frames=12, num_objs=2)
    missing = osp.join(root, 'train', 'TINY-01', 'img1', '000007.jpg')
    os.remove(missing)
    proc = convert(root)
    assert proc.returncode != 0 and missing in proc.stderr


def test_corrupt_frame_is_named_when_loaded(tmp_path):
    from mmcv.transforms import LoadImageFromFile
    corrupt = tmp_path / '000001.jpg'
    corrupt.write_bytes(b'\xff\xd8 not really a jpeg')
    with pytest.raises(AssertionError, match=f'failed to load image: {corrupt}'):
        LoadImageFromFile()(dict(img_path=str(corrupt)))
    with pytest.raises(FileNotFoundError, match=str(tmp_path / 'gone.jpg')):
        LoadImageFromFile()(dict(img_path=str(tmp_path / 'gone.jpg')))
