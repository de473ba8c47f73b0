"""Dataset converters on tiny fixtures written in the official formats; their output loads in mmdet."""
import json
import os
import os.path as osp
import pickle

import cv2
import numpy as np
import pytest
from mmdet.datasets import BaseVideoDataset, MOTChallengeDataset

from svm.datasets.mot.coco_video import convert_mot_challenge
from svm.datasets.mot.mot_challenge import read_gt, write_seqinfo
from helpers import H, W, render_frame, run_tool, tiny_seqinfo, tiny_track


def test_mot2coco_half_split_and_public_detections(tiny_mot):
    root = tiny_mot['root']
    ann = osp.join(root, 'annotations')
    train = json.load(open(osp.join(ann, 'train_cocoformat.json')))
    half_train = json.load(open(osp.join(ann, 'half-train_cocoformat.json')))
    half_val = json.load(open(osp.join(ann, 'half-val_cocoformat.json')))
    # 12 frames per video: the first 12 // 2 + 1 = 7 train, the other 5 validate.
    assert len(train['images']) == 24 and len(half_train['images']) == 14 and len(half_val['images']) == 10
    assert [im['mot_frame_id'] for im in half_val['images'] if im['video_id'] == 1] == list(range(8, 13))
    assert [im['frame_id'] for im in half_val['images'] if im['video_id'] == 1] == list(range(5))
    # Every gt row became an annotation with a dataset-wide unique instance id per (video, MOT id).
    assert len(train['annotations']) == 2 * 12 * 2
    assert len({a['instance_id'] for a in train['annotations']}) == 4
    # Half-val ground truth for result scoring, renumbered from frame 1.
    lines = open(osp.join(root, 'train', 'TINY-01', 'gt', 'gt_half-val.txt')).read().split()
    assert len(lines) == 10 and lines[0].startswith('1,1,') and lines[-1].startswith('5,2,')
    x, y, w, h = tiny_track(0, 0, 7)  # frame 8 (0-based 7) of object 1
    assert lines[0] == f'1,1,{x},{y},{w},{h},1,1,1'
    # the rows of gt.txt in frames 8..12, the rest of each row unchanged
    gt = read_gt(osp.join(root, 'train', 'TINY-01', 'gt', 'gt.txt'))
    half_val = read_gt(osp.join(root, 'train', 'TINY-01', 'gt', 'gt_half-val.txt'))
    np.testing.assert_array_equal(half_val[:, 1:], gt[gt[:, 0] >= 8, 1:])
    np.testing.assert_array_equal(half_val[:, 0], gt[gt[:, 0] >= 8, 0] - 7)
    dets = pickle.load(open(osp.join(ann, 'half-val_detections.pkl'), 'rb'))['det_bboxes']
    first = dets[osp.join('TINY-01', 'img1', '000008.jpg')][0]
    np.testing.assert_allclose(first[0], [x, y, x + w, y + h, 0.9])


def test_mot2coco_output_loads_in_mmdet_mot_dataset(tiny_mot):
    root = tiny_mot['root']
    train = MOTChallengeDataset(data_root=root, ann_file='annotations/half-train_cocoformat.json',
                                data_prefix=dict(img_path='train'), metainfo=dict(classes=('pedestrian', )),
                                pipeline=[])
    assert len(train) == 2 and train.num_all_imgs == 14
    frame = train.get_data_info(0)['images'][3]
    assert osp.isfile(frame['img_path']) and frame['frame_id'] == 3
    assert [i['bbox'] for i in frame['instances']] == [
        [x, y, x + w, y + h] for x, y, w, h in (tiny_track(0, 0, 3), tiny_track(0, 1, 3))]
    val = MOTChallengeDataset(data_root=root, ann_file='annotations/half-val_cocoformat.json',
                              data_prefix=dict(img_path='train'), test_mode=True, pipeline=[])
    assert len(val) == 2 and val.get_len_per_video(1) == 5


def test_mot2coco_names_every_missing_seqinfo_at_once(tmp_path):
    for seq in ('SEQ-01', 'SEQ-02'):
        os.makedirs(tmp_path / 'train' / seq / 'img1')
    proc = run_tool(['python', 'tools/dataset_converters/mot2coco.py', '-i', str(tmp_path), '-o',
                     str(tmp_path / 'out')], check=False)
    assert proc.returncode == 1 and 'Traceback' not in proc.stderr
    assert (f'mot2coco.py: error: 2 problems in {tmp_path}, nothing written:\n'
            f'  {tmp_path}/train/SEQ-01/seqinfo.ini not found') in proc.stderr
    assert f'  {tmp_path}/train/SEQ-02/seqinfo.ini not found' in proc.stderr
    assert not (tmp_path / 'out').exists()


def test_crowdhuman2coco_still_images_load_as_one_frame_videos(tmp_path):
    root = tmp_path / 'crowdhuman'
    os.makedirs(root / 'train' / 'Images')
    entries = [
        dict(ID='img_a', gtboxes=[dict(tag='person', fbox=[5, 6, 20, 30], vbox=[5, 6, 20, 20]),
                                  dict(tag='person', fbox=[40, 6, 20, 30], vbox=[40, 6, 20, 30],
                                       extra=dict(ignore=1)),
                                  dict(tag='mask', fbox=[70, 30, 10, 10], vbox=[70, 30, 10, 10])]),
        dict(ID='img_b', gtboxes=[dict(tag='person', fbox=[10, 10, 16, 24], vbox=[10, 10, 16, 24])]),
    ]
    with open(root / 'annotation_train.odgt', 'w') as f:
        for e in entries:
            f.write(json.dumps(e) + '\n')
            cv2.imwrite(str(root / 'train' / 'Images' / f"{e['ID']}.jpg"), render_frame([]))
    run_tool(['python', 'tools/dataset_converters/crowdhuman2coco.py', '-i', str(root), '-o',
              str(root / 'annotations'), '--splits', 'train'])
    out = json.load(open(root / 'annotations' / 'crowdhuman_train.json'))
    assert [(im['width'], im['height']) for im in out['images']] == [(W, H), (W, H)]
    assert [a['iscrowd'] for a in out['annotations']] == [False, True, True, False]
    ds = BaseVideoDataset(data_root=str(root), ann_file='annotations/crowdhuman_train.json',
                          data_prefix=dict(img_path='train'), metainfo=dict(classes=('pedestrian', )),
                          pipeline=[])
    assert len(ds) == 2 and [ds.get_len_per_video(i) for i in range(2)] == [1, 1]
    instances = ds.get_data_info(0)['images'][0]['instances']
    assert [i['ignore_flag'] for i in instances] == [0, 1, 1]
    assert instances[0]['bbox'] == [5, 6, 25, 36]


def test_motsynth_extract_and_convert(tmp_path):
    root = tmp_path / 'MOTSynth'
    os.makedirs(root / 'videos')
    seq_dir = root / 'mot_annotations' / '001'
    os.makedirs(seq_dir / 'gt')
    writer = cv2.VideoWriter(str(root / 'videos' / '001.mp4'), cv2.VideoWriter_fourcc(*'mp4v'), 10, (W, H))
    with open(seq_dir / 'gt' / 'gt.txt', 'w') as gt:
        for f in range(6):
            box = tiny_track(0, 0, f)
            writer.write(render_frame([box]))
            gt.write(f'{f + 1},7,{box[0]},{box[1]},{box[2]},{box[3]},1,1,0.8,0,0,0\n')
    writer.release()
    write_seqinfo(str(seq_dir), tiny_seqinfo('001', 6, im_dir='rgb'))
    run_tool(['python', 'tools/dataset_converters/extract_motsynth.py', '-i', str(root)])
    frames = sorted(os.listdir(root / 'frames' / '001' / 'rgb'))
    assert frames == [f'{i:04d}.jpg' for i in range(1, 7)]
    assert cv2.imread(str(root / 'frames' / '001' / 'rgb' / '0001.jpg')).shape == (H, W, 3)
    run_tool(['python', 'tools/dataset_converters/motsynth2coco.py', '-i', str(root), '-o',
              str(root / 'annotations')])
    ds = MOTChallengeDataset(data_root=str(root), ann_file='annotations/motsynth_train.json',
                             data_prefix=dict(img_path='frames'), metainfo=dict(classes=('pedestrian', )),
                             pipeline=[])
    assert len(ds) == 1 and ds.num_all_imgs == 6
    frame = ds.get_data_info(0)['images'][5]
    assert osp.isfile(frame['img_path'])
    assert frame['instances'][0]['visibility'] == pytest.approx(0.8)


def test_mot2coco_zero_confidence_boxes_are_ignored_in_training(tmp_path):
    seq_dir = tmp_path / 'train' / 'SEQ-01'
    os.makedirs(seq_dir / 'img1')
    os.makedirs(seq_dir / 'gt')
    write_seqinfo(str(seq_dir), tiny_seqinfo('SEQ-01', 1))
    cv2.imwrite(str(seq_dir / 'img1' / '000001.jpg'), render_frame([]))
    with open(seq_dir / 'gt' / 'gt.txt', 'w') as f:
        f.write('1,1,5,5,16,24,1,1,1.0\n1,2,40,5,16,24,0,1,1.0\n')
    convert_mot_challenge(str(tmp_path), str(tmp_path / 'ann'))
    ds = MOTChallengeDataset(data_root=str(tmp_path), ann_file='ann/train_cocoformat.json',
                             data_prefix=dict(img_path='train'), metainfo=dict(classes=('pedestrian', )),
                             pipeline=[])
    instances = ds.get_data_info(0)['images'][0]['instances']
    assert [(i['ignore_flag'], i['mot_conf']) for i in instances] == [(0, 1.0), (1, 0.0)]
