"""The pieces of svm/utils/install_check.py (tools/misc/check_install.py): reading mmengine's logs (losses, the
resume point, test metrics and times, pytest's summary), the release-format writer against the converter, the
configs and options the steps run, the table, and a failing step recorded while the next one runs. The whole
dry run: tests/tools/test_check_install.py."""
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from svm.models.mot.release_checkpoint import (convert_release_checkpoint, svm_to_release_state_dict,
                                               write_release_checkpoint)
from helpers import REPO_ROOT, TINY_MOT_CONFIG, assert_same_state, build_seeded_tracker, load_checkpoint_on_cpu
from svm.utils import install_check as ic



def write_scalars(work_dir, timestamp, records):
    path = work_dir / timestamp / 'vis_data' / 'scalars.json'
    path.parent.mkdir(parents=True)
    path.write_text(''.join(json.dumps(r) + '\n' for r in records))


def record(it, epoch, cls, obj, **extra):
    return dict(lr=1e-4, loss=cls + obj + sum(extra.values()), loss_cls=cls, loss_obj=obj, time=0.5, data_time=0.1,
                iter=it, epoch=epoch, step=it, **extra)


def test_losses_of_a_run_and_its_resume_are_read_in_order_and_compared_over_common_terms(tmp_path):
    first = [record(i, 1 + (i > 4), cls=2.0 - 0.1 * i, obj=1.0) for i in range(1, 9)]
    # the resumed epoch logs an extra term (YOLOX's L1 loss after its mode switch): left out of the comparison
    resumed = [record(i, 3, cls=2.0 - 0.1 * i, obj=1.0, loss_l1=5.0) for i in range(9, 13)]
    write_scalars(tmp_path, '20261206_010000', first + [dict(step=2, **{'motchallenge-metric/HOTA': 0.1})])
    write_scalars(tmp_path, '20261206_020000', resumed)
    records = ic.train_records(str(tmp_path))
    assert [r['iter'] for r in records] == list(range(1, 13))
    assert ic.loss_components(records) == ['loss_cls', 'loss_obj']
    trend = ic.loss_trend(records)
    assert trend['window'] == 3 and trend['iterations'] == 12 and trend['terms'] == ['loss_cls', 'loss_obj']
    assert trend['first'] == pytest.approx(3.0 - 0.2) and trend['last'] == pytest.approx(3.0 - 1.1)
    assert trend['falls']
    # the total loss (with the L1 term) rises: comparing it would report a falling loss as rising
    assert records[-1]['loss'] > records[0]['loss']


def test_a_loss_that_does_not_fall_is_reported():
    rising = [record(i, 1, cls=1.0 + 0.1 * i, obj=1.0) for i in range(1, 7)]
    trend = ic.loss_trend(rising, window=2)
    assert not trend['falls'] and trend['last'] > trend['first']
    with pytest.raises(ValueError, match='at least 2'):
        ic.loss_trend(rising[:1])
    only_total = [dict(iter=i, loss=5.0 - i) for i in range(1, 5)]
    assert ic.loss_trend(only_total)['terms'] == ['loss'] and ic.loss_trend(only_total)['falls']


def test_resume_point_is_read_from_mmengine_log():
    log = ('12/06 03:00:01 - mmengine - INFO - Load checkpoint from /w/epoch_2.pth\n'
           '12/06 03:00:02 - mmengine - INFO - resumed epoch: 2, iter: 8\n'
           '12/06 03:00:05 - mmengine - INFO - Epoch(train) [3][1/4]  lr: 1e-04  loss: 1.0\n')
    assert ic.resumed_at(log) == (2, 8)
    assert ic.resumed_at('no resume here') is None


TEST_LOG = """\
12/06 03:10:00 - mmengine - INFO - Epoch(test) [ 1/16]    eta: 0:00:03  time: 0.2500  data_time: 0.0100  memory: 900
12/06 03:10:00 - mmengine - INFO - Epoch(test) [ 2/16]    eta: 0:00:02  time: 0.0500  data_time: 0.0100  memory: 910
12/06 03:10:01 - mmengine - INFO - Epoch(test) [ 3/16]    eta: 0:00:02  time: 0.0400  data_time: 0.0100  memory: 930
HOTA: default-tracker-pedestrian   HOTA      DetA      AssA
12/06 03:10:02 - mmengine - INFO - Epoch(test) [16/16]    motchallenge-metric/HOTA: 0.1234  \
motchallenge-metric/MOTA: -0.5000  motchallenge-metric/IDF1: 0.2000  motchallenge-metric/IDSW: 3.0000  \
data_time: 0.0101  time: 0.0625
"""


def test_metrics_and_times_of_a_test_run_are_read_from_its_log():
    metrics = ic.test_metrics(TEST_LOG)
    assert metrics == {'motchallenge-metric/HOTA': 0.1234, 'motchallenge-metric/MOTA': -0.5,
                       'motchallenge-metric/IDF1': 0.2, 'motchallenge-metric/IDSW': 3.0}
    timing = ic.test_timing(TEST_LOG)
    assert timing == dict(mean_s=0.0625, per_iter_s=[0.25, 0.05, 0.04])
    assert ic.median([0.25, 0.05, 0.04]) == 0.05 and ic.median([1, 2, 3, 4]) == 2.5
    recognition = ('Epoch(test) [4/4]    acc/top1: 0.7500  acc/top5: 1.0000  acc/mean1: 0.7500  '
                   'data_time: 0.0200  time: 0.3000')
    assert ic.test_metrics(recognition)['acc/top1'] == 0.75
    assert ic.test_metrics('Epoch(test) [3/16] eta: 0:00:01  time: 0.1') == {}


def test_pytest_summary_counts_and_skip_reasons():
    output = ('..s\nSKIPPED [8] tests/models/backbones/test_svit_cuda.py:138: needs a CUDA GPU\n'
              'SKIPPED [1] tests/analysis/test_gpu_report.py:82: needs a CUDA GPU\n'
              'SKIPPED [2] tests/x.py:3: bf16 unsupported\n'
              '2 passed, 11 skipped, 40 deselected in 12.34s\n')
    summary = ic.pytest_summary(output)
    assert (summary['passed'], summary['skipped'], summary['deselected'], summary['failed']) == (2, 11, 40, 0)
    assert summary['skip_reasons'] == {'needs a CUDA GPU': 9, 'bf16 unsupported': 2}
    assert ic.needs_cuda_reason('needs a CUDA GPU') and not ic.needs_cuda_reason('bf16 unsupported')
    failed = ic.pytest_summary('=== 1 failed, 3 passed, 1 error in 2.00s ===')
    assert (failed['failed'], failed['passed'], failed['errors']) == (1, 3, 1)


def test_torchvision_ops_line_is_found_in_the_logs():
    said = ("12/06 05:00:00 - mmengine - INFO - mmcv 2.1.0 was built without CUDA ops: nms on cuda:0 runs "
            "torchvision's CUDA kernel (svm.ops.torchvision_ops)")
    logs = ['UserWarning: torchvision.io is deprecated\nfoo', f'x\n{said}\n']
    assert ic.torchvision_ops_line(logs) == said
    assert ic.torchvision_ops_line(['UserWarning: torchvision.io is deprecated']) is None


def test_release_format_writer_round_trips_through_the_converter(tmp_path):
    """svm state dict -> the release's names and file layout -> tools/model_converters' conversion -> the same
    state dict, bit for bit (tiny tracker with every part: T2D, residual blocks, output norms, all three pyramid
    stages, PAFPN, head)."""
    init_default_scope('mmdet')  # undone by the suite's autouse fixture
    model = build_seeded_tracker(Config.fromfile(TINY_MOT_CONFIG).model)
    state = model.state_dict()
    release = svm_to_release_state_dict(state)
    assert 'detector.backbone.transformer.resblocks.2.residual_block.conv1.weight' in release
    assert 'detector.backbone.transformer.resblocks.0.attn.in_proj_weight_t' in release
    assert 'detector.backbone.ln_post.weight' in release and 'detector.backbone.ln_post_out1.weight' in release
    assert 'detector.backbone.fpn_adaptor.fpn_adaptor_1.0.weight' in release  # x1 stage: no Identity at 0
    assert not any(k.startswith('detector.neck.0.') or k.startswith('detector.neck.1.') for k in release)
    src = write_release_checkpoint(state, str(tmp_path / 'release.pth'), epoch=3)
    saved = torch.load(src, weights_only=True)
    assert set(saved) == {'meta', 'state_dict', 'optimizer'} and saved['meta']['epoch'] == 3
    result = convert_release_checkpoint(src, str(tmp_path / 'svm.pth'))
    assert result.dropped_sections == ['optimizer'] and result.renamed
    assert_same_state(load_checkpoint_on_cpu(tmp_path / 'svm.pth')['state_dict'], state)
    assert ic.same_state(state, result.state_dict) == (True, '')
    changed = dict(state)
    changed['detector.backbone.conv1.weight'] = state['detector.backbone.conv1.weight'] + 1
    assert ic.same_state(state, changed) == (False, 'detector.backbone.conv1.weight differs')


def test_options_point_the_recipe_at_the_generated_data_at_tiny_size():
    cfg = Config.fromfile(REPO_ROOT / ic.PAPER_CONFIG)
    cfg.merge_from_dict(ic.parse_cfg_options(ic.data_root_options('/data/mot', 4)))
    sources = cfg.train_dataloader.dataset.dataset.datasets
    assert [s.data_root for s in sources] == ['/data/mot/'] * 4
    assert {s.ann_file for s in sources} == {'annotations/half-train_cocoformat.json'}
    assert cfg.test_dataloader.dataset.data_root == '/data/mot/'
    options = ic.pipeline_size_options(cfg.train_dataloader.dataset.pipeline, 'train_dataloader.dataset.pipeline',
                                       (96, 64))
    assert 'train_dataloader.dataset.pipeline.0.img_scale=(96,64)' in options  # ClipMosaic
    assert 'train_dataloader.dataset.pipeline.1.border=(-48,-32)' in options  # ClipRandomAffine
    cfg.merge_from_dict(ic.parse_cfg_options([*options, *ic.TINY_TRACKER_OPTIONS]))
    resize = [t for t in cfg.train_dataloader.dataset.pipeline[3].transforms if t.type == 'Resize']
    assert resize[0].scale == (96, 64) and cfg.train_dataloader.dataset.pipeline[2].img_scale == (96, 64)
    assert cfg.model.detector.backbone.arch == dict(embed_dims=32, num_layers=3, num_heads=2, patch_size=8)
    assert cfg.model.detector.backbone.window_size is None
    ratios = ic.source_ratios(8, 16)
    assert [round(r * 16) for r in ratios] == [3, 2, 2, 1]
    assert sum(round(r * 64) for r in ic.source_ratios(24, 64)) == 24


@pytest.mark.parametrize('config', [ic.PAPER_CONFIG, ic.RELEASE_CONFIG])
def test_fp32_child_config_changes_only_the_optim_wrapper_type(config, tmp_path):
    child = Config.fromfile(ic.fp32_child_config(str(REPO_ROOT / config), str(tmp_path / 'child.py')))
    base = Config.fromfile(REPO_ROOT / config)
    assert base.optim_wrapper.type == 'AmpOptimWrapper' and 'loss_scale' in base.optim_wrapper
    assert child.optim_wrapper.type == 'OptimWrapper' and 'loss_scale' not in child.optim_wrapper
    rest = {k: v for k, v in base.optim_wrapper.items() if k not in ic.AMP_ONLY_ARGS}
    assert {k: v for k, v in child.optim_wrapper.items() if k != 'type'} == rest
    assert child.model == base.model and child.train_cfg == base.train_cfg


def step_result(name, status, **kwargs):
    return ic.StepResult(name, f'title of {name}', status=status, seconds=1.25, **kwargs)


def test_table_and_report_files(tmp_path):
    results = [step_result('data', ic.PASS, figures=dict(frames=16)),
               step_result('train', ic.FAIL, error='train: exit status 1', log_tail='Traceback\nKeyError: x|y',
                           logs=['/logs/02_train_train.log']),
               step_result('cuda-tests', ic.SKIP, notes=['skipped (no CUDA): 9: needs a CUDA GPU'])]
    env = dict(gpu='none', torch='2.14.1', cuda='None', cudnn='n/a', mmcv='2.1.0', mmcv_ops='CPU ops only',
               mmengine='0.10.7', mmdet='3.3.0', mmaction2='1.2.0', python='3.11.7', executable='/py')
    json_path, md_path = ic.write_report(str(tmp_path), env, results, 'check', settings=dict(dry_run=True), wall_s=3.5)
    report = json.loads(open(json_path).read())
    assert report['passed'] is False and report['wall_s'] == 3.5
    assert [s['status'] for s in report['steps']] == ['PASS', 'FAIL', 'SKIP']
    assert report['steps'][1]['log_tail'].endswith('KeyError: x|y')
    md = open(md_path).read()
    assert '| # | step | status | seconds | key figures |' in md
    assert '| 1 | data | PASS | 1.2 | frames: 16 |' in md
    assert '| 2 | train | FAIL | 1.2 | error: train: exit status 1 |' in md
    assert 'skipped (no CUDA)' in md and '- GPU: none' in md and 'mmcv 2.1.0: CPU ops only' in md
    assert '## train failed: train: exit status 1' in md and 'log: /logs/02_train_train.log' in md
    assert 'KeyError: x|y' in md  # the tail, unescaped in its code block
    assert ic.exit_code(results) == 1 and ic.exit_code([results[0], results[2]]) == 0


class ScriptedCheck(ic.InstallCheck):
    """Two independent steps, recognition failing (its command exits 3) and cuda-tests passing."""

    def step_recognition(self):
        self.run(['python', '-c', 'print("loading configs/nope.py"); raise SystemExit(3)'], 'fails')

    def step_cuda_tests(self):
        self.run(['python', '-c', 'print("fine")'], 'passes')
        self.figure(ran=True)


def test_a_failing_step_is_recorded_with_its_log_and_the_next_step_runs(tmp_path):
    lines = []
    check = ScriptedCheck(ic.CheckSettings(out_dir=str(tmp_path), dry_run=True), log=lines.append)
    results = check.run_steps(['recognition', 'cuda-tests'])
    assert [(r.name, r.status) for r in results] == [('recognition', 'FAIL'), ('cuda-tests', 'PASS')]
    failed = results[0]
    assert failed.error == 'fails: exit status 3' and 'loading configs/nope.py' in failed.log_tail
    assert osp.isfile(failed.logs[0]) and failed.commands[0].startswith('python -c')
    assert results[1].figures == dict(ran=True) and ic.exit_code(results) == 1
    progress = '\n'.join(lines)
    assert '[1/2] recognition: started' in progress and '[1/2] recognition: FAIL in' in progress
    assert '[2/2] cuda-tests: PASS in' in progress


def test_steps_that_need_data_get_it_and_are_skipped_when_it_fails(tmp_path):
    class NoData(ic.InstallCheck):
        def step_data(self):
            raise ic.StepFailed('generate: exit status 1')

    check = NoData(ic.CheckSettings(out_dir=str(tmp_path), dry_run=True), log=lambda line: None)
    results = check.run_steps(['fps'])
    assert [(r.name, r.status) for r in results] == [('data', 'FAIL'), ('fps', 'SKIP')]
    assert results[1].notes == ['not run: needs step data, which did not pass']
    with pytest.raises(ValueError, match='unknown steps'):
        check.run_steps(['trian'])


def test_environment_is_read_without_failing():
    env = ic.environment()
    assert env['mmcv'] == '2.1.0' and env['python'] and env['torch'].startswith('2.')
    assert ('CPU ops only' in env['mmcv_ops']) or ('CUDA ops' in env['mmcv_ops'])
    assert ic.cudnn_version(92400) == '9.24.0' and ic.cudnn_version(8902) == '8.9.2' and ic.cudnn_version(None) == 'n/a'


def test_settings():
    dry = ic.CheckSettings(dry_run=True)
    assert dry.device == 'cpu' and dry.sizes.tiny and dry.configs['recognition'] == ic.TINY_RECOGNITION_CONFIG
    gpu = ic.CheckSettings(iters=10)
    assert gpu.cuda and gpu.sizes.frame_size == (1920, 1088) and gpu.sizes.iters_per_epoch == 5
    assert gpu.configs['recognition'] == ic.RECOGNITION_CONFIG and gpu.sizes.image_scale is None
    with pytest.raises(ValueError, match='device'):
        ic.CheckSettings(device='gpu')
    with pytest.raises(ValueError, match='iters'):
        ic.CheckSettings(iters=1)
