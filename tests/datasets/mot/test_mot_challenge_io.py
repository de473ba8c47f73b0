"""svm.datasets.mot.mot_challenge: what is written reads back the same, and bad rows are named."""
import os.path as osp

import numpy as np
import pytest
import trackeval

from svm.datasets.mot.mot_challenge import (GT_FIELDS, RESULT_FIELDS, SeqInfo, max_frame, read_detections, read_gt,
                                            read_results, read_seqinfo, renumber_frames, write_gt, write_results,
                                            write_seqinfo)


def test_seqinfo_round_trip(tmp_path):
    info = SeqInfo(name='MOT17-02-FRCNN', length=600, width=1920, height=1080, frame_rate=30)
    path = write_seqinfo(str(tmp_path), info)
    assert path == str(tmp_path / 'seqinfo.ini')
    assert read_seqinfo(str(tmp_path)) == info
    # MOT17's own file: camelCase keys, key=value
    assert open(path).read().split() == ['[Sequence]', 'name=MOT17-02-FRCNN', 'imDir=img1', 'frameRate=30',
                                         'seqLength=600', 'imWidth=1920', 'imHeight=1080', 'imExt=.jpg']
    assert info.image_name(7) == osp.join('img1', '000007.jpg')
    other = SeqInfo(name='001', length=6, width=96, height=64, frame_rate=10, im_dir='rgb', im_ext='.png')
    write_seqinfo(str(tmp_path), other)
    assert read_seqinfo(str(tmp_path)) == other


def test_seqinfo_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='seqinfo.ini not found'):
        read_seqinfo(str(tmp_path))
    path = tmp_path / 'seqinfo.ini'
    path.write_text('[Other]\nname=a\n')
    with pytest.raises(ValueError, match=f'{path} has no \\[Sequence\\] section'):
        read_seqinfo(str(tmp_path))
    path.write_text('[Sequence]\nname=a\nframeRate=25\nseqLength=10\nimWidth=96\n')
    with pytest.raises(KeyError, match=f'{path} lacks the key .imHeight.'):
        read_seqinfo(str(tmp_path))
    path.write_text('[Sequence]\nname=a\nframeRate=29.97\nseqLength=10.5\nimWidth=96\nimHeight=64\n')
    with pytest.raises(ValueError, match=f'{path}: seqLength=10.5, expected a positive whole number'):
        read_seqinfo(str(tmp_path))
    path.write_text('[Sequence]\nname=a\nframeRate=29.97\nseqLength=10\nimWidth=96\nimHeight=64\n')
    assert read_seqinfo(str(tmp_path)).frame_rate == 29  # a fractional frame rate: its integer part


def gt_rows() -> np.ndarray:
    """Ground truth with what MOT17 has: integer boxes, boxes past the image border, visibility with 5-6
    digits, zero-marked boxes of other classes, and fractional boxes."""
    return np.array([
        [1, 1, 912, 484, 97, 109, 0, 7, 1],
        [1, 2, -5, 30, 10, 12, 1, 1, 0.86173],
        [2, 1, 1919.5, 1079.25, 10.125, 20.75, 1, 1, 0.123457],
        [12, 13, 0.1, 0.2, 0.30000000000000004, 1234567.891, 1, 1, 0],
    ])


def test_gt_round_trip(tmp_path):
    rows = gt_rows()
    path = str(tmp_path / 'gt.txt')
    write_gt(path, rows)
    back = read_gt(path, num_frames=12)
    assert back.shape == (4, len(GT_FIELDS)) and back.dtype == np.float64
    # numbers of at most 10 significant digits come back unchanged; longer ones to 10 digits
    np.testing.assert_array_equal(back[:3], rows[:3])
    np.testing.assert_allclose(back[3], rows[3], rtol=1e-10)
    assert back[3, 4] == 0.3
    assert open(path).read().splitlines()[:2] == ['1,1,912,484,97,109,0,7,1', '1,2,-5,30,10,12,1,1,0.86173']
    assert max_frame(path) == 12


def test_results_round_trip_at_the_precision_of_the_submissions(tmp_path):
    rows = np.array([[1, 0, 10.0, 20.25, 30.5, 40.125, 0.9], [3, 7, 1.23456, -2.5, 0.0004, 5.0005, 0.12345]])
    path = str(tmp_path / 'SEQ.txt')
    write_results(path, rows)
    # mmdet's MOTChallengeMetric's format: frame and id as integers, 3 decimals, -1 for the world coordinates
    assert open(path).read().splitlines() == ['1,0,10.000,20.250,30.500,40.125,0.900,-1,-1,-1',
                                              '3,7,1.235,-2.500,0.000,5.000,0.123,-1,-1,-1']
    back = read_results(path)
    assert back.shape == (2, len(RESULT_FIELDS))
    np.testing.assert_array_equal(back, np.round(rows, 3))  # a thousandth of a pixel
    write_results(path, back)
    np.testing.assert_array_equal(read_results(path), back)  # rows at 3 decimals come back unchanged
    np.testing.assert_array_equal(read_detections(path), back)  # det.txt has the same format
    assert max_frame(path) == 3


def test_trackeval_reads_the_written_files_as_they_were_written(tmp_path):
    """TrackEval's own reader gets the rows that the readers of this module get."""
    gt_path, res_path = str(tmp_path / 'gt.txt'), str(tmp_path / 'res.txt')
    write_gt(gt_path, gt_rows())
    write_results(res_path, np.array([[1, 0, 10.0, 20.25, 30.5, 40.125, 0.9], [12, 4, 1, 2, 3, 4, 0.5]]))
    dataset = trackeval.datasets.MotChallenge2DBox
    for path, reader in ((gt_path, read_gt), (res_path, read_results)):
        by_frame, _ = dataset._load_simple_text_file(path)  # as MotChallenge2DBox reads a file
        ours = reader(path)
        for frame, lines in by_frame.items():
            np.testing.assert_array_equal(np.array(lines, dtype=float)[:, :ours.shape[1]],
                                          ours[ours[:, 0] == int(frame)])


def test_empty_files(tmp_path):
    for write, read, width in ((write_gt, read_gt, 9), (write_results, read_results, 7)):
        path = str(tmp_path / f'{width}.txt')
        write(path, np.zeros((0, width)))
        assert open(path).read() == ''
        assert read(path).shape == (0, width)
        assert max_frame(path) == 0
    blank = tmp_path / 'blank.txt'
    blank.write_text('\n  \n')
    assert read_gt(str(blank)).shape == (0, 9) and read_detections(str(blank)).shape == (0, 7)


@pytest.mark.parametrize('reader, line, message', [
    (read_gt, '2,1,10,10,16,24,1,1', 'expected at least 9 comma-separated fields (frame,id,x,y,w,h,conf,class,'
     "visibility), got '2,1,10,10,16,24,1,1'"),
    (read_gt, '2,1,10,10,16,24,1,1,inf', "visibility is inf, expected a finite number (in '2,1,10,10,16,24,1,1,inf')"),
    (read_gt, '2.5,1,10,10,16,24,1,1,1', 'frame 2.5 is not an integer, expected a whole frame number'),
    (read_gt, '6,1,10,10,16,24,1,1,1', 'frame 6 is outside the sequence (1..5)'),
    (read_gt, '2,0,10,10,16,24,1,1,1', 'object id 0 must be a positive integer'),
    (read_gt, '1,1,10,10,16,24,1,1,1', 'object id 1 appears twice in frame 1'),
    (read_gt, '2,1,10,10,16,-1,1,1,1', 'box width and height must be positive, got 16.0x-1.0'),
    (read_detections, '2,-1,10,x,16,24,0.9', 'expected numbers in frame,id,x,y,w,h,score'),
    (read_detections, '0,-1,10,10,16,24,0.9', 'frame 0 is outside the sequence (1..5)'),
    (read_results, '2,1.5,10,10,16,24,0.9,-1,-1,-1', 'track id 1.5 is not an integer'),
    (read_results, '2,1,10,10,16,24,NaN,-1,-1,-1', 'score is NaN, expected a finite number'),
    (read_results, '2,-1,10,10,16,24,0.9,-1,-1,-1', 'track id -1 is negative, expected an id >= 0'),
    (read_results, '1,1,10,10,16,24,0.9,-1,-1,-1', 'track id 1 appears twice in frame 1 (first at '),
])
def test_bad_row_is_named_with_file_and_line(tmp_path, reader, line, message):
    path = tmp_path / 'rows.txt'
    first = {read_gt: '1,1,10,10,16,24,1,1,1', read_results: '1,1,10,10,16,24,0.9,-1,-1,-1'}.get(
        reader, '1,-1,10,10,16,24,0.9,-1,-1,-1')  # detections have no ids: -1
    path.write_text(f'{first}\n\n{line}\n')  # the blank line counts: the bad row is line 3
    with pytest.raises(ValueError) as error:
        reader(str(path), num_frames=5)
    assert str(error.value).startswith(f'{path}:3: {message}')


def test_renumber_frames_keeps_the_rows_of_the_given_frames_in_order():
    rows = gt_rows()
    out = renumber_frames(rows, {12: 1, 1: 2})
    np.testing.assert_array_equal(out[:, 0], [2, 2, 1])
    np.testing.assert_array_equal(out[:, 1:], rows[[0, 1, 3], 1:])
    assert renumber_frames(np.zeros((0, 7)), {1: 1}).shape == (0, 7)
