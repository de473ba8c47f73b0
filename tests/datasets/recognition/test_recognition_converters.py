"""svm/datasets/recognition/converters.py (tools/dataset_converters/k400_to_mmaction.py, ssv2_to_mmaction.py)
on tiny fixtures in the official formats; their lists load in mmaction2's VideoDataset."""
import json

import pytest

from svm.datasets.recognition.converters import convert_k400_csv, convert_ssv2_split, load_ssv2_labels
from helpers import run_tool

K400_TRAIN = '''label,youtube_id,time_start,time_end,split,is_cc
playing guitar,gtr_A1,10,20,train,0
"passing American football (in game)",fb-B2,0,10,train,0
abseiling,abs_C3,125,135,train,1
playing guitar,gtr_D4,3,13,train,0
'''
K400_VAL = '''label,youtube_id,time_start,time_end,split
abseiling,abs_V1,7,17,val
playing guitar,gtr_V2,1,11,val
'''
SSV2_LABELS = {'Holding something next to something': '1', 'Pushing something from left to right': '0',
               'Putting something on a surface': '2'}
SSV2_TRAIN = [
    dict(id='78687', label='holding potato next to vicks vaporub bottle',
         template='Holding [something] next to [something]', placeholders=['potato', 'vicks vaporub bottle']),
    dict(id='42326', label='pushing a cup from left to right', template='Pushing [something] from left to right',
         placeholders=['a cup']),
    dict(id='100904', label='putting a pen on a surface', template='Putting [something] on a surface',
         placeholders=['a pen']),
]


def video_dataset(ann_file, video_dir):
    from mmaction.datasets import VideoDataset
    return VideoDataset(str(ann_file), pipeline=[], data_prefix=dict(video=str(video_dir)))


def test_k400_writes_lists_and_label_map(tmp_path):
    (tmp_path / 'train.csv').write_text(K400_TRAIN)
    (tmp_path / 'validate.csv').write_text(K400_VAL)
    label_map = tmp_path / 'label_map_k400.txt'
    for csv_name, out in (('train.csv', 'k400_train.txt'), ('validate.csv', 'k400_val.txt')):
        convert_k400_csv(str(tmp_path / csv_name), str(tmp_path / out), str(label_map))
    # classes in alphabetical order, shared by both splits
    assert label_map.read_text().splitlines() == [
        'abseiling', 'passing American football (in game)', 'playing guitar']
    assert (tmp_path / 'k400_train.txt').read_text().splitlines() == [
        'gtr_A1_000010_000020.mp4 2', 'fb-B2_000000_000010.mp4 1', 'abs_C3_000125_000135.mp4 0',
        'gtr_D4_000003_000013.mp4 2']
    assert (tmp_path / 'k400_val.txt').read_text().splitlines() == [
        'abs_V1_000007_000017.mp4 0', 'gtr_V2_000001_000011.mp4 2']
    dataset = video_dataset(tmp_path / 'k400_val.txt', tmp_path / 'videos_val')
    assert [(d['filename'], d['label']) for d in dataset] == [
        (str(tmp_path / 'videos_val' / 'abs_V1_000007_000017.mp4'), 0),
        (str(tmp_path / 'videos_val' / 'gtr_V2_000001_000011.mp4'), 2)]


def test_k400_lists_only_downloaded_clips_wherever_they_are(tmp_path):
    (tmp_path / 'train.csv').write_text(K400_TRAIN)
    videos = tmp_path / 'videos_train'
    (videos / 'playing_guitar').mkdir(parents=True)
    (videos / 'playing_guitar' / 'gtr_A1_000010_000020.mp4').touch()
    (videos / 'abs_C3_000125_000135.mkv').touch()  # another container, flat layout
    count = convert_k400_csv(str(tmp_path / 'train.csv'), str(tmp_path / 'out.txt'), str(tmp_path / 'map.txt'),
                             video_dir=str(videos))
    assert count == 2
    assert (tmp_path / 'out.txt').read_text().splitlines() == [
        'playing_guitar/gtr_A1_000010_000020.mp4 2', 'abs_C3_000125_000135.mkv 0']
    # VideoDataset splits lines on whitespace: class folders named with spaces are refused clearly.
    (videos / 'playing_guitar').rename(videos / 'playing guitar')
    with pytest.raises(ValueError, match="whitespace.*'playing guitar/gtr_A1_000010_000020.mp4'"):
        convert_k400_csv(str(tmp_path / 'train.csv'), str(tmp_path / 'out.txt'), str(tmp_path / 'map.txt'),
                         video_dir=str(videos))


def test_k400_errors_name_the_problem(tmp_path):
    (tmp_path / 'map.txt').write_text('abseiling\nplaying guitar\n')
    (tmp_path / 'val.csv').write_text(K400_VAL.replace('abseiling,abs_V1', 'juggling balls,jb_V1'))
    with pytest.raises(ValueError, match=r"val.csv:2: class 'juggling balls' is not in the label map"):
        convert_k400_csv(str(tmp_path / 'val.csv'), str(tmp_path / 'o.txt'), str(tmp_path / 'map.txt'))
    (tmp_path / 'test.csv').write_text('youtube_id,time_start,time_end,split\nx,0,10,test\n')
    with pytest.raises(ValueError, match=r"test.csv: missing column\(s\) \['label'\]"):
        convert_k400_csv(str(tmp_path / 'test.csv'), str(tmp_path / 'o.txt'), str(tmp_path / 'map.txt'))
    with pytest.raises(FileNotFoundError, match='nope.csv'):
        convert_k400_csv(str(tmp_path / 'nope.csv'), str(tmp_path / 'o.txt'), str(tmp_path / 'map.txt'))


def test_ssv2_writes_list_and_label_map(tmp_path):
    """The command line of ssv2_to_mmaction.py (k400_to_mmaction.py has the same shape)."""
    (tmp_path / 'labels.json').write_text(json.dumps(SSV2_LABELS))
    (tmp_path / 'train.json').write_text(json.dumps(SSV2_TRAIN))
    run_tool(['python', 'tools/dataset_converters/ssv2_to_mmaction.py', tmp_path / 'train.json',
              tmp_path / 'sthv2_train_list_videos.txt', '--labels', tmp_path / 'labels.json', '--label-map-out',
              tmp_path / 'label_map_sthv2.txt'])
    assert (tmp_path / 'sthv2_train_list_videos.txt').read_text().splitlines() == [
        '78687.webm 1', '42326.webm 0', '100904.webm 2']
    assert (tmp_path / 'label_map_sthv2.txt').read_text().splitlines() == [
        'Pushing something from left to right', 'Holding something next to something',
        'Putting something on a surface']
    dataset = video_dataset(tmp_path / 'sthv2_train_list_videos.txt', tmp_path / 'videos')
    assert [d['label'] for d in dataset] == [1, 0, 2]


def test_ssv2_video_dir_and_errors(tmp_path):
    (tmp_path / 'labels.json').write_text(json.dumps(SSV2_LABELS))
    (tmp_path / 'videos').mkdir()
    (tmp_path / 'videos' / '42326.webm').touch()
    (tmp_path / 'train.json').write_text(json.dumps(SSV2_TRAIN))
    assert convert_ssv2_split(str(tmp_path / 'train.json'), str(tmp_path / 'o.txt'), str(tmp_path / 'labels.json'),
                              video_dir=str(tmp_path / 'videos')) == 1
    assert (tmp_path / 'o.txt').read_text() == '42326.webm 0\n'

    (tmp_path / 'test.json').write_text(json.dumps([{'id': '1420'}]))
    with pytest.raises(ValueError, match='test split carries no labels'):
        convert_ssv2_split(str(tmp_path / 'test.json'), str(tmp_path / 'o.txt'), str(tmp_path / 'labels.json'))
    unknown = [dict(SSV2_TRAIN[0], template='Dropping [something]')]
    (tmp_path / 'bad.json').write_text(json.dumps(unknown))
    with pytest.raises(ValueError, match="video 78687 has template 'Dropping something'"):
        convert_ssv2_split(str(tmp_path / 'bad.json'), str(tmp_path / 'o.txt'), str(tmp_path / 'labels.json'))
    (tmp_path / 'gap.json').write_text(json.dumps({'a': '0', 'b': '2'}))
    with pytest.raises(ValueError, match='class indices must be 0..1'):
        load_ssv2_labels(str(tmp_path / 'gap.json'))
