"""What a config's training pipeline gives the model, drawn as images.

- MOT configs (``default_scope='mmdet'``): the frames of a clip side by side after the clip-consistent
  augmentations, each with its ground-truth boxes (ignored ones in grey) and instance ids, one colour per id.
- Recognition configs (``default_scope='mmaction'``): the frames of each clip of a video in a strip (one
  row per clip), with the label.

The training pipeline of the MOT configs loads boxes with mmdet's ``LoadAnnotations``, whose mixing
transforms (Mosaic, RandomAffine, MixUp) carry boxes and labels but not instance ids. To draw the ids, the
browsed pipeline gets :class:`EncodeInstanceIds` after each ``LoadAnnotations``: it folds each box's
instance id into its label (``(id + 1) * LABEL_BASE + label``), which every transform keeps aligned with
the boxes, and :func:`decode_instance_ids` unfolds them after the pipeline. Ids belong to the video their
box comes from (Mosaic and MixUp mix in boxes of other videos); -1 is a box without an id (e.g. CrowdHuman).
"""
import copy
import os
import os.path as osp
import random
from typing import Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.config import Config

from svm.registry import MMDET_TRANSFORMS
from svm.visualization.frame_drawing import track_color

ANNOTATION_LOADERS = ('LoadAnnotations', 'LoadTrackAnnotations')
LABEL_BASE = 1_000_000  # more than any number of classes
HEADER_HEIGHT = 22
GAP = 6


@MMDET_TRANSFORMS.register_module()
class EncodeInstanceIds(BaseTransform):
    """Fold the instance ids of the loaded boxes into their labels: ``(id + 1) * LABEL_BASE + label``.

    Runs right after ``LoadAnnotations``, whose ``gt_bboxes`` follow ``results['instances']`` one to one;
    an instance without ``instance_id`` gets -1. For browsing only: the labels are no class indices until
    :func:`decode_instance_ids` unfolds them.
    """

    def transform(self, results: dict) -> dict:
        ids = np.array([inst.get('instance_id', -1) for inst in results.get('instances', [])], dtype=np.int64)
        labels = np.asarray(results['gt_bboxes_labels'], dtype=np.int64)
        if ids.shape != labels.shape:
            raise ValueError(f'{len(ids)} instances but {len(labels)} loaded labels: EncodeInstanceIds must '
                             f'follow LoadAnnotations')
        results['gt_bboxes_labels'] = (ids + 1) * LABEL_BASE + labels
        results.pop('gt_instances_ids', None)  # the mixing transforms would not keep them aligned
        return results


def decode_instance_ids(labels) -> Tuple[np.ndarray, np.ndarray]:
    """(instance ids, class labels) of labels folded by :class:`EncodeInstanceIds`."""
    labels = np.asarray(labels.cpu() if hasattr(labels, 'cpu') else labels, dtype=np.int64)
    return labels // LABEL_BASE - 1, labels % LABEL_BASE


def _insert_id_encoding(node) -> int:
    """Put an EncodeInstanceIds after every annotation loader in the pipelines under ``node`` (a dataset
    config); returns how many were inserted."""
    count = 0
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ('pipeline', 'transforms') and isinstance(value, list):
                i = 0
                while i < len(value):
                    step = value[i]
                    if isinstance(step, dict) and step.get('type') in ANNOTATION_LOADERS:
                        value.insert(i + 1, dict(type='EncodeInstanceIds'))
                        count += 1
                        i += 1
                    i += 1
            count += _insert_id_encoding(value)
    elif isinstance(node, list):
        for item in node:
            count += _insert_id_encoding(item)
    return count


def task_of(cfg: Config) -> str:
    """'mot' or 'recognition', from the config's default scope."""
    scope = cfg.get('default_scope')
    if scope == 'mmdet':
        return 'mot'
    if scope == 'mmaction':
        return 'recognition'
    raise ValueError(f'{cfg.filename}: default_scope {scope!r}: expected a MOT (mmdet) or recognition (mmaction) '
                     f'config')


def build_train_dataset(cfg: Config, with_ids: bool = True):
    """The config's training dataset with its pipeline (MOT configs: with :class:`EncodeInstanceIds` after
    each annotation loader unless ``with_ids`` is False); returns (dataset, whether the labels fold ids)."""
    from mmengine.registry import DATASETS, init_default_scope
    task = task_of(cfg)
    init_default_scope(cfg.default_scope)
    dataset_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    folded = task == 'mot' and with_ids and _insert_id_encoding(dataset_cfg) > 0
    return DATASETS.build(dataset_cfg), folded


def id_color(track_id: int) -> Tuple[int, int, int]:
    """The BGR colour of an id (:func:`svm.visualization.track_color`); grey for -1 (no id)."""
    if track_id < 0:
        return (200, 200, 200)
    return track_color(track_id)[::-1]


def _to_image(chw: torch.Tensor) -> np.ndarray:
    """(C, H, W) tensor -> contiguous (H, W, 3) uint8 image."""
    img = chw.detach().cpu().numpy().transpose(1, 2, 0)
    if img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    return np.ascontiguousarray(img)


def _upscale(img: np.ndarray, factor: int) -> np.ndarray:
    return img if factor == 1 else cv2.resize(img, None, fx=factor, fy=factor, interpolation=cv2.INTER_NEAREST)


def _text(img: np.ndarray, text: str, org: Tuple[int, int], color=(255, 255, 255), scale: float = 0.45) -> None:
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, color, 1, cv2.LINE_AA)


def _with_header(img: np.ndarray, text: str) -> np.ndarray:
    header = np.full((HEADER_HEIGHT, img.shape[1], 3), 40, np.uint8)
    _text(header, text, (4, HEADER_HEIGHT - 7))
    return np.concatenate([header, img], axis=0)


def _hstack(images: List[np.ndarray]) -> np.ndarray:
    height = max(i.shape[0] for i in images)
    padded = []
    for k, img in enumerate(images):
        if img.shape[0] < height:
            img = np.concatenate([img, np.zeros((height - img.shape[0], *img.shape[1:]), np.uint8)], axis=0)
        padded.append(img)
        if k < len(images) - 1:
            padded.append(np.full((height, GAP, 3), 255, np.uint8))
    return np.concatenate(padded, axis=1)


def _vstack(images: List[np.ndarray]) -> np.ndarray:
    width = max(i.shape[1] for i in images)
    rows = []
    for k, img in enumerate(images):
        if img.shape[1] < width:
            img = np.concatenate([img, np.zeros((img.shape[0], width - img.shape[1], 3), np.uint8)], axis=1)
        rows.append(img)
        if k < len(images) - 1:
            rows.append(np.full((GAP, width, 3), 255, np.uint8))
    return np.concatenate(rows, axis=0)


def draw_boxes(img: np.ndarray, bboxes: np.ndarray, ids: np.ndarray, factor: int = 1,
               ignored: Optional[np.ndarray] = None) -> np.ndarray:
    """Boxes (x1, y1, x2, y2, in the image's pixels before ``factor``) with their ids on a BGR image."""
    out = img.copy()
    for box in (ignored if ignored is not None else np.zeros((0, 4))):
        x1, y1, x2, y2 = (np.asarray(box) * factor).round().astype(int)
        cv2.rectangle(out, (x1, y1), (x2, y2), (128, 128, 128), 1)
    for box, track_id in zip(bboxes, ids):
        x1, y1, x2, y2 = (np.asarray(box) * factor).round().astype(int)
        color = id_color(int(track_id))
        cv2.rectangle(out, (x1, y1), (x2, y2), color, 2)
        label = str(int(track_id)) if track_id >= 0 else '?'
        (tw, th), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.45, 1)
        # a filled tag at the box's top-left corner, kept inside the image
        tx = int(np.clip(x1, 0, max(out.shape[1] - tw - 4, 0)))
        ty = int(np.clip(y1, th + 4, out.shape[0]))
        cv2.rectangle(out, (tx, ty - th - 4), (tx + tw + 4, ty), color, -1)
        cv2.putText(out, label, (tx + 2, ty - 3), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    return out


def _boxes(instances) -> np.ndarray:
    bboxes = instances.bboxes if 'bboxes' in instances else torch.zeros(0, 4)
    bboxes = getattr(bboxes, 'tensor', bboxes)  # mmdet box types
    return np.asarray(bboxes.detach().cpu() if hasattr(bboxes, 'detach') else bboxes, dtype=np.float32).reshape(-1, 4)


def draw_mot_sample(packed: dict, folded_ids: bool, min_height: int = 256) -> np.ndarray:
    """The frames of one packed MOT training clip side by side, with their boxes and instance ids (from
    ``instances_ids``, or from labels folded by :class:`EncodeInstanceIds` if ``folded_ids``)."""
    inputs, track_sample = packed['inputs'], packed['data_samples']
    factor = max(1, int(round(min_height / inputs.shape[-2])))
    panels = []
    for t in range(inputs.shape[0]):
        frame = track_sample[t]
        gt = frame.gt_instances
        bboxes = _boxes(gt)
        if 'instances_ids' in gt:
            ids = np.asarray(gt.instances_ids.cpu(), dtype=np.int64)
        elif folded_ids and 'labels' in gt:
            ids, _ = decode_instance_ids(gt.labels)
        else:
            ids = np.full(len(bboxes), -1, np.int64)
        ignored = _boxes(frame.ignored_instances) if 'ignored_instances' in frame else None
        img = draw_boxes(_upscale(_to_image(inputs[t]), factor), bboxes, ids, factor, ignored)
        meta = frame.metainfo
        name = osp.basename(str(meta.get('img_path', '')))
        panels.append(_with_header(img, f"t={t} video {meta.get('video_id', '?')} frame {meta.get('frame_id', '?')} "
                                        f"{name}, {len(bboxes)} boxes"))
    return _hstack(panels)


def draw_recognition_sample(packed: dict, class_names: Optional[Sequence[str]] = None, source: str = '',
                            min_height: int = 128) -> np.ndarray:
    """The frames of each clip of one packed recognition sample in a row, with its label (and ``source``,
    the video's name)."""
    inputs, sample = packed['inputs'], packed['data_samples']
    if inputs.dim() == 5 and inputs.shape[1] in (1, 3):  # NCTHW
        clips = inputs.permute(0, 2, 1, 3, 4)
    elif inputs.dim() == 5:  # NTCHW
        clips = inputs
    elif inputs.dim() == 4:  # NCHW: frames
        clips = inputs[None]
    else:
        raise ValueError(f'cannot draw recognition inputs of shape {tuple(inputs.shape)}')
    factor = max(1, int(round(min_height / clips.shape[-2])))
    label = sample.gt_label if 'gt_label' in sample else None
    label = int(label.reshape(-1)[0]) if label is not None and label.numel() == 1 else label
    name = class_names[label] if class_names is not None and isinstance(label, int) else None
    rows = []
    for c in range(clips.shape[0]):
        frames = [cv2.cvtColor(_upscale(_to_image(f), factor), cv2.COLOR_RGB2BGR) for f in clips[c]]
        rows.append(_hstack(frames))
    text = f'label {label}' + (f' ({name})' if name else '') + f', {clips.shape[0]} clip(s) x {clips.shape[1]} frames'
    text += f', {source}' if source else ''
    return _with_header(_vstack(rows), text)


def spread_indices(length: int, num: int) -> List[int]:
    """``num`` indices spread evenly over a dataset of ``length`` (all of them if it is smaller)."""
    if num >= length:
        return list(range(length))
    return sorted({int(round(i)) for i in np.linspace(0, length - 1, num)})


def browse_dataset(cfg: Config, output_dir: str, num: int = 10, seed: int = 0,
                   class_names: Optional[Sequence[str]] = None) -> List[str]:
    """Run the training pipeline on ``num`` samples spread over the dataset and write one image per sample
    to ``output_dir`` (``<index>_<task>.png``); returns the paths."""
    task = task_of(cfg)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    dataset, folded_ids = build_train_dataset(cfg)
    if len(dataset) == 0:
        raise ValueError(f'{cfg.filename}: the training dataset is empty')
    os.makedirs(output_dir, exist_ok=True)
    paths = []
    for index, packed in _samples(dataset, spread_indices(len(dataset), num)):
        if task == 'mot':
            image = draw_mot_sample(packed, folded_ids)
        else:
            info = dataset.get_data_info(index)
            source = osp.basename(str(info.get('filename', info.get('frame_dir', ''))))
            image = draw_recognition_sample(packed, class_names, source)
        path = osp.join(output_dir, f'{index:06d}_{task}.png')
        if not cv2.imwrite(path, image):
            raise OSError(f'cannot write {path}')
        paths.append(path)
    return paths


def _samples(dataset, indices: Sequence[int]) -> Iterator[Tuple[int, dict]]:
    for index in indices:
        packed = dataset[index]
        if packed is None:  # a pipeline that filtered the sample out
            continue
        yield index, packed
