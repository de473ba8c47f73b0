from .mot_files import evaluate_mot_files
from .mot_metric import MOTTrackEvalMetric

__all__ = ['MOTTrackEvalMetric', 'evaluate_mot_files']
