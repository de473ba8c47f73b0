"""A toy regression task for testing the tools (train/test/resume/distributed) in seconds.

Importing this module registers its dataset, model, metric and hooks in mmengine's root registries. The
toy configs (tests/data/toy), and the configs the tests derive from them, import it through
``custom_imports``, so that every process a tool starts has them; tests/helpers/__init__.py does not import it.
"""
import os
import os.path as osp
import signal

import torch
from mmengine.dist import get_rank
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.registry import DATASETS, HOOKS, METRICS, MODELS
from torch.utils.data import Dataset


@DATASETS.register_module()
class ToyRegressionDataset(Dataset):
    """``size`` fixed samples of y = x @ w_true + 1 (the same on every process)."""

    def __init__(self, size: int = 32, in_features: int = 4):
        generator = torch.Generator().manual_seed(0)
        self.x = torch.randn(size, in_features, generator=generator)
        self.y = self.x @ torch.arange(1., in_features + 1) + 1
        self.metainfo = dict(name='toy')

    def __len__(self):
        return len(self.x)

    def __getitem__(self, index):
        return dict(inputs=self.x[index], data_samples=self.y[index])


@MODELS.register_module()
class ToyRegressor(BaseModel):

    def __init__(self, in_features: int = 4, hidden: int = 8):
        super().__init__()
        self.mlp = torch.nn.Sequential(
            torch.nn.Linear(in_features, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        pred = self.mlp(inputs).squeeze(-1)
        if mode == 'loss':
            return dict(loss=torch.nn.functional.mse_loss(pred, data_samples))
        if mode == 'predict':
            return list(zip(pred, data_samples))
        return pred


@METRICS.register_module()
class ToyMSE(BaseMetric):

    def process(self, data_batch, data_samples):
        self.results.extend((float(p) - float(t))**2 for p, t in data_samples)

    def compute_metrics(self, results):
        return dict(mse=sum(results) / len(results), count=len(results))


@HOOKS.register_module()
class SaveRankWeightsHook(Hook):
    """Writes each process's weights to ``<work_dir>/rank<R>_{init,final}.pth``."""

    def before_train(self, runner):
        self._save(runner, 'init')

    def after_train(self, runner):
        self._save(runner, 'final')

    @staticmethod
    def _save(runner, stage):
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        torch.save(model.state_dict(), osp.join(runner.work_dir, f'rank{get_rank()}_{stage}.pth'))


@HOOKS.register_module()
class KillAtIterHook(Hook):
    """SIGKILLs the process after training iteration ``iteration`` (1-based): a crash, not an exit."""

    def __init__(self, iteration: int):
        self.iteration = iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == self.iteration:
            os.kill(os.getpid(), signal.SIGKILL)
