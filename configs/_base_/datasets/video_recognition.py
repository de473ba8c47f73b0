# Loaders and metrics shared by the video recognition datasets (mmaction2's VideoDataset, one
# `<video path> <label>` line per video, with each line checked: svm's CheckedVideoDataset). Dataset
# configs add paths, pipelines and num_classes (labels must lie below it).
dataset_type = 'CheckedVideoDataset'
train_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type))
val_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, test_mode=True))
test_dataloader = dict(
    batch_size=1,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, test_mode=True))

# Prints top-1, top-5 and mean class accuracy.
val_evaluator = dict(type='AccMetric', metric_list=('top_k_accuracy', 'mean_class_accuracy'))
test_evaluator = val_evaluator
