"""Extract the frames of MOTSynth's videos to JPEG files.

Input: ``<root>/videos/<seq>.mp4`` (the official release). Output:
``<root>/frames/<seq>/rgb/0001.jpg ...`` (1-based, as the MOT-format annotations count frames),
the layout :mod:`motsynth2coco` writes into the json.

Example::

    python tools/dataset_converters/extract_motsynth.py -i data/MOTSynth
"""
import argparse
import os
import os.path as osp

import mmcv
import mmengine


def extract_video(video_path: str, frame_dir: str) -> int:
    """Write every frame of one video; return the number of frames."""
    video = mmcv.VideoReader(video_path)
    if video.frame_cnt == 0:
        raise ValueError(f'{video_path} has no readable frames')
    video.cvt2frames(frame_dir, file_start=1, filename_tmpl='{:04d}.jpg', show_progress=False)
    return len(os.listdir(frame_dir))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Extract MOTSynth videos to frames')
    parser.add_argument('-i', '--input', required=True, help='MOTSynth root holding videos/')
    parser.add_argument('-o', '--output', default=None, help='frames root (default: <input>/frames)')
    parser.add_argument('--videos', nargs='+', default=None, help='sequence names (default: all)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    video_dir = osp.join(args.input, 'videos')
    if not osp.isdir(video_dir):
        raise FileNotFoundError(f'{video_dir} not found: expected <MOTSynth root>/videos/<seq>.mp4')
    out_root = args.output or osp.join(args.input, 'frames')
    names = args.videos or sorted(osp.splitext(f)[0] for f in os.listdir(video_dir) if f.endswith('.mp4'))
    for name in mmengine.track_iter_progress(names):
        n = extract_video(osp.join(video_dir, f'{name}.mp4'), osp.join(out_root, name, 'rgb'))
        print(f'{name}: {n} frames')


if __name__ == '__main__':
    main()
