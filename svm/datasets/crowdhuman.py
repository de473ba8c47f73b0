"""CrowdHuman's ``.odgt`` annotations as COCO json, one still image per entry
(tools/dataset_converters/crowdhuman2coco.py).

Input layout (the official release, unzipped)::

    crowdhuman/
      annotation_train.odgt  annotation_val.odgt
      train/Images/<ID>.jpg  val/Images/<ID>.jpg

Output: ``<out>/crowdhuman_{train,val}.json`` with one category ``pedestrian`` (id 1). Every person's full box
(``fbox``) becomes an annotation; boxes marked ``extra.ignore == 1`` and the ``mask`` entries (crowds,
reflections) become ``iscrowd`` so that training ignores them. The images carry no ``video_id``:
:class:`mmdet.datasets.BaseVideoDataset` loads each as a one-frame video, which svm's clip sampling turns
into a clip of copies.
"""
import json
import os.path as osp

import mmengine
from PIL import Image

from svm.utils.progress import track_iter_progress


def load_odgt(path: str) -> list:
    """One json object per line."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found: expected annotation_<split>.odgt of CrowdHuman')
    entries = []
    with open(path) as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError(f'{path}:{line_no}: not a json object ({e})') from None
    return entries


def convert_crowdhuman(root: str, out_dir: str, split: str) -> str:
    """Convert ``<root>/annotation_<split>.odgt`` to ``<out_dir>/crowdhuman_<split>.json`` and return its path."""
    entries = load_odgt(osp.join(root, f'annotation_{split}.odgt'))
    out = dict(categories=[dict(id=1, name='pedestrian')], images=[], annotations=[])
    ann_id = 1
    for img_id, entry in enumerate(track_iter_progress(entries), 1):
        file_name = osp.join('Images', f"{entry['ID']}.jpg")
        img_path = osp.join(root, split, file_name)
        if not osp.isfile(img_path):
            raise FileNotFoundError(f'{img_path} (ID {entry["ID"]} of annotation_{split}.odgt) missing')
        with Image.open(img_path) as img:
            width, height = img.size
        out['images'].append(dict(id=img_id, file_name=file_name, width=width, height=height))
        for box in entry.get('gtboxes', []):
            x, y, w, h = (float(v) for v in box['fbox'])
            ignore = box.get('tag') != 'person' or box.get('extra', {}).get('ignore', 0) == 1
            out['annotations'].append(dict(
                id=ann_id, image_id=img_id, category_id=1, bbox=[x, y, w, h], area=w * h,
                iscrowd=ignore, vis_bbox=box.get('vbox'), instance_id=ann_id))
            ann_id += 1
    out_file = osp.join(out_dir, f'crowdhuman_{split}.json')
    mmengine.mkdir_or_exist(out_dir)
    mmengine.dump(out, out_file)
    print(f'crowdhuman {split}: {len(out["images"])} images, {ann_id - 1} boxes -> {out_file}')
    return out_file
