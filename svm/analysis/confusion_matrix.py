"""Confusion matrices of recognition results: the pickle of ``tools/test.py --out`` (mmaction2's
ActionDataSamples, as dicts or objects, with ``pred_score`` and ``gt_label``)."""
import pickle
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np


def confusion_matrix(gt_labels: Sequence[int], pred_labels: Sequence[int], num_classes: int) -> np.ndarray:
    """(num_classes, num_classes) int64 counts: row = true class, column = predicted class."""
    gt = np.asarray(gt_labels, dtype=np.int64).reshape(-1)
    pred = np.asarray(pred_labels, dtype=np.int64).reshape(-1)
    if gt.shape != pred.shape:
        raise ValueError(f'{gt.size} true labels but {pred.size} predictions')
    for name, labels in (('true', gt), ('predicted', pred)):
        bad = labels[(labels < 0) | (labels >= num_classes)]
        if bad.size:
            raise ValueError(f'{name} label {int(bad[0])} is outside the {num_classes} classes [0, {num_classes})')
    return np.bincount(gt * num_classes + pred, minlength=num_classes**2).reshape(num_classes, num_classes)


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """Each row divided by its sum (the share of a true class predicted as each class); empty rows stay 0."""
    sums = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, sums, out=np.zeros(matrix.shape, float), where=sums > 0)


def summarize(matrix: np.ndarray) -> Dict:
    """Accuracy (top-1), mean class accuracy (over the classes that have samples), per-class recall and
    precision (None for a class with no samples / no predictions) and the number of samples."""
    total = int(matrix.sum())
    correct = np.diag(matrix)
    support, predicted = matrix.sum(axis=1), matrix.sum(axis=0)
    recall = [float(c / s) if s else None for c, s in zip(correct, support)]
    precision = [float(c / p) if p else None for c, p in zip(correct, predicted)]
    present = [r for r in recall if r is not None]
    return dict(num_samples=total, top1=float(correct.sum() / total) if total else 0.,
                mean_class_accuracy=float(np.mean(present)) if present else 0., recall=recall,
                precision=precision, support=support.astype(int).tolist())


def _field(sample, name: str):
    return sample.get(name) if isinstance(sample, dict) else getattr(sample, name, None)


def _to_numpy(value) -> np.ndarray:
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def action_results(samples: Sequence) -> Tuple[np.ndarray, np.ndarray]:
    """(scores (N, C), true labels (N,)) of mmaction2 results: dicts (what ``tools/test.py --out`` dumps)
    or ActionDataSamples, each with ``pred_score`` (C,) and a single ``gt_label``."""
    scores, labels = [], []
    for i, sample in enumerate(samples):
        score, label = _field(sample, 'pred_score'), _field(sample, 'gt_label')
        if score is None or label is None:
            keys = sorted(sample) if isinstance(sample, dict) else sorted(getattr(sample, 'keys', list)())
            raise KeyError(f'result {i} has no pred_score or gt_label (keys: {", ".join(keys)}): expected the '
                           f'pickle of tools/test.py --out on a recognition config')
        label = _to_numpy(label).reshape(-1)
        if label.size != 1:
            raise ValueError(f'result {i} has {label.size} true labels: a confusion matrix needs one per video')
        scores.append(_to_numpy(score).astype(float).reshape(-1))
        labels.append(int(label[0]))
    if not scores:
        raise ValueError('no results')
    widths = {s.size for s in scores}
    if len(widths) != 1:
        raise ValueError(f'results have scores of different lengths {sorted(widths)}')
    return np.stack(scores), np.array(labels, dtype=np.int64)


def load_action_results(path: str) -> Tuple[np.ndarray, np.ndarray]:
    """:func:`action_results` of a pickle file (torch tensors inside are read without a GPU)."""
    with open(path, 'rb') as f:
        try:
            samples = pickle.load(f)
        except Exception as err:  # noqa: BLE001  (a foreign or truncated file: say which)
            raise ValueError(f'{path}: not a results pickle ({type(err).__name__}: {err})') from None
    if not isinstance(samples, (list, tuple)):
        raise ValueError(f'{path}: expected a list of results, got {type(samples).__name__}')
    return action_results(samples)


def num_classes_of(cfg) -> int:
    """The number of classes of a recognition config (``model.cls_head.num_classes``)."""
    head = cfg.get('model', {}).get('cls_head')
    if not head or 'num_classes' not in head:
        raise ValueError(f'{cfg.filename}: expected a recognition config with model.cls_head.num_classes '
                         f'(configs/recognition/svm/...)')
    return int(head['num_classes'])


def confusion_of_results(results_path: str, num_classes: int, config_name: str,
                         class_names: Optional[Sequence[str]] = None) -> Dict:
    """The confusion matrix of a results pickle (predicted class: the arg-max of each ``pred_score``) and
    :func:`summarize` of it, checked against the model's ``num_classes`` (of config ``config_name``) and the
    number of ``class_names``.

    Returns:
        ``matrix`` (num_classes, num_classes) int64 ndarray, ``class_names`` and the summary's keys.
    """
    scores, labels = load_action_results(results_path)
    if scores.shape[1] != num_classes:
        raise ValueError(f'{results_path} has scores for {scores.shape[1]} classes, config {config_name} has '
                         f'{num_classes}: results of another model?')
    if class_names is not None and len(class_names) != num_classes:
        raise ValueError(f'{len(class_names)} class names for the {num_classes} classes of the config')
    matrix = confusion_matrix(labels, scores.argmax(1), num_classes)
    return dict(matrix=matrix, class_names=list(class_names) if class_names is not None else None,
                **summarize(matrix))


def plot_confusion_matrix(matrix: np.ndarray, out: str, class_names: Optional[List[str]] = None,
                          normalize: bool = True, title: Optional[str] = None, dpi: int = 100) -> None:
    """Draw the matrix (row-normalised by default) with its counts to the image ``out`` (Agg canvas)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    n = matrix.shape[0]
    names = class_names or [str(i) for i in range(n)]
    if len(names) != n:
        raise ValueError(f'{len(names)} class names for a {n}-class matrix')
    shown = normalize_rows(matrix) if normalize else matrix
    size = min(max(4., 0.45 * n + 2.5), 40.)
    fig = Figure(figsize=(size + 1, size), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(shown, cmap='Blues', vmin=0, vmax=1 if normalize else None)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xticklabels(names, rotation=45 if n > 4 else 0, ha='right' if n > 4 else 'center', fontsize=8)
    ax.set_yticklabels(names, fontsize=8)
    ax.set_xlabel('predicted class')
    ax.set_ylabel('true class')
    if n <= 30:  # the counts in the cells while they are readable
        threshold = shown.max() / 2 if shown.size else 0
        for i in range(n):
            for j in range(n):
                text = f'{shown[i, j]:.2f}\n({matrix[i, j]})' if normalize else str(matrix[i, j])
                ax.text(j, i, text, ha='center', va='center', fontsize=7,
                        color='white' if shown[i, j] > threshold else 'black')
    ax.set_title(title or ('confusion matrix (rows normalised)' if normalize else 'confusion matrix'))
    fig.tight_layout()
    fig.savefig(out)
