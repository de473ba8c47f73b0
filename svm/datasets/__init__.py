"""svm's datasets, samplers and transforms. The subpackages register their types when imported
(svm/utils/setup_env.py imports those of a task): ``mot`` and ``samplers`` into mmdet, ``recognition`` into
mmaction2, ``transforms`` into both; ``synthetic`` generates the demo data."""
