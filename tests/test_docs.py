"""Every example of the tools' --help, README.md and docs/*.md is valid: the paths they name exist, the
options of documented commands exist, and the --cfg-options examples reach a shipped config."""
import copy
import functools
import json
import os
import re
import statistics

from helpers import REPO_ROOT, cfg_options, tool_help


DOCS = [REPO_ROOT / 'README.md', *sorted((REPO_ROOT / 'docs').glob('*.md'))]
DOC_PATH = re.compile(r'(?<![\w/.$-])((?:configs|tools|demo|svm|tests|requirements)/[\w./{},*-]*[\w/}*])')
DOC_COMMAND = re.compile(r'(?:python|bash)\s+((?:tools|demo)/[\w/.-]+\.(?:py|sh))([^|;&#`]*)')
CFG_OPTION = re.compile(r'(?<![\w/.-])([a-z_{},]+(?:\.[\w{},]+)+=[^\s`]*)')
LAUNCHED = {'dist_train.sh': 'tools/train.py', 'slurm_train.sh': 'tools/train.py', 'dist_test.sh': 'tools/test.py',
            'slurm_test.sh': 'tools/test.py'}


def expand_braces(text):
    """Shell brace expansion: 'a_{x,y}.py' -> ['a_x.py', 'a_y.py']."""
    match = re.search(r'\{([^{}]*,[^{}]*)\}', text)
    if not match:
        return [text]
    return [out for alt in match.group(1).split(',')
            for out in expand_braces(text[:match.start()] + alt + text[match.end():])]


def doc_lines(path):
    """The lines of a document as a shell would see them: continuation lines joined, variables assigned in the
    document (CFG=...) and $(basename ...) substituted, `for x in a b; do ...; done` unrolled; the assignments
    themselves left out."""
    text = path.read_text().replace('\\\n', ' ')
    assigned = dict(re.findall(r'^\s*([A-Z][A-Z0-9_]*)=(\S+)', text, flags=re.M))
    lines = []
    for line in text.splitlines():
        if re.match(r'\s*[A-Z][A-Z0-9_]*=\S+\s*(#.*)?$', line):
            continue
        for name, value in assigned.items():
            line = line.replace('${' + name + '}', value).replace('$' + name, value)
        line = re.sub(r'\$\(basename ([^)]+)\)', lambda m: os.path.basename(m.group(1)), line)
        loop = re.search(r'for (\w+) in ([^;]+); do (.*?); done', line)
        values = loop.group(2).split() if loop else [None]
        for value in values:
            lines.append(line if loop is None else
                         loop.group(3).replace('${' + loop.group(1) + '}', value).replace('$' + loop.group(1), value))
    return lines


def test_every_path_named_in_readme_and_docs_exists():
    missing = []
    for doc in DOCS:
        for line in doc_lines(doc):
            for raw in DOC_PATH.findall(line):
                for path in expand_braces(raw.rstrip('.,;:')):
                    if not list(REPO_ROOT.glob(path)):
                        missing.append(f'{doc.name}: {path}')
    assert not missing, 'named in the documentation but absent:\n' + '\n'.join(sorted(set(missing)))


def test_every_option_of_a_documented_command_exists():
    """`python tools/X.py ... --flag` and `bash tools/dist_*.sh ... --flag` in the documentation: the tool
    (train.py / test.py for the launchers) defines --flag."""
    unknown, checked = [], 0
    for doc in DOCS:
        for line in doc_lines(doc):
            for script, rest in DOC_COMMAND.findall(line):
                source = (REPO_ROOT / LAUNCHED.get(os.path.basename(script), script)).read_text()
                for flag in re.findall(r'(?<![\w-])(--[a-z][\w-]*)', rest):
                    checked += 1
                    if f"'{flag}'" not in source and f'"{flag}"' not in source:
                        unknown.append(f'{doc.name}: {script} {flag}')
    assert checked > 20 and not unknown, '\n'.join(unknown)


@functools.lru_cache(maxsize=None)
def _shipped_configs() -> tuple:
    """Every shipped config, (path, Config), loaded once per session."""
    from mmengine.config import Config
    return tuple((path, Config.fromfile(str(path))) for path in sorted((REPO_ROOT / 'configs').glob('*/svm/*.py')))


def _option_takes_effect(cfg, key: str) -> bool:
    """Whether overriding dotted ``key`` reaches something: an existing entry, an argument of the typed module
    (``type=...``) that holds it, or an argument of the Runner."""
    from svm.utils.config_checks import RUNNER_KEYS, find_missing_key, module_arguments
    missing = find_missing_key(cfg, key)
    if missing is None:
        return True
    parent, part, container = missing
    if not parent:
        return part in RUNNER_KEYS
    # the module argument itself, or a key inside a dict given as that argument (init_kwargs.project=...)
    if not (key == f'{parent}.{part}' or key.startswith(f'{parent}.{part}.')) or not isinstance(container, dict) \
            or 'type' not in container:
        return False
    arguments = module_arguments(cfg, container)
    return arguments is not None and (part in arguments[0] or arguments[1])


def test_every_cfg_options_example_is_valid():
    """Each `key=value` example of train.py / test.py --help and of the documentation parses with mmengine's
    DictAction, passes svm's override checks and reaches an entry (or a module argument) of a shipped config."""
    from svm.utils.config_checks import check_override_keys
    examples = []
    for tool in ('train', 'test'):
        help_text = tool_help(f'tools/{tool}.py')
        cfg_help = help_text[help_text.index('\n  --cfg-options') + 1:].split('\n  --', 1)[0]  # its help only
        tokens = re.findall(r'\S+=\S+', cfg_help)
        assert tokens, f'{tool}.py --help shows no --cfg-options example'
        examples += [(f'{tool}.py --help', token.strip('"\'')) for token in tokens]
    for doc in DOCS:
        for line in doc_lines(doc):
            raws = CFG_OPTION.findall(line.replace('"', ' ').replace("'", ' '))
            # a type overridden on the same line decides which arguments the line's other options may set
            types = [option.rstrip('.,;:') for raw in raws for option in expand_braces(raw)
                     if option.split('=')[0].endswith('.type')]
            examples += [(doc.name, option.rstrip('.,;:'), types) for raw in raws for option in expand_braces(raw)]
    assert len(examples) >= 10
    configs = [cfg for _, cfg in _shipped_configs()]
    invalid = []
    for where, example, *types in examples:
        options = cfg_options(example)
        key = next(iter(options))
        together = cfg_options(*types[0], example) if types and types[0] else options

        def valid(cfg):
            try:
                check_override_keys(cfg, together)
            except KeyError:
                return False
            if together is not options:
                cfg = copy.deepcopy(cfg)
                cfg.merge_from_dict(cfg_options(*types[0]))
            return _option_takes_effect(cfg, key)

        if not any(valid(cfg) for cfg in configs):
            invalid.append(f'{where}: {example}')
    assert not invalid, 'no shipped config takes these --cfg-options examples:\n' + '\n'.join(invalid)


def _seed_table_rows(text: str, label: str) -> list:
    """The cells after the first of a Markdown table row that starts with ``| <label>``."""
    for line in text.splitlines():
        if line.startswith(f'| {label}'):
            return [cell.strip() for cell in line.strip('|').split('|')[1:]]
    raise AssertionError(f'no table row starting with {label!r}')


def test_demo_figures_in_readme_and_docs_are_the_committed_ones():
    """README.md and docs/demo.md quote docs/figures/demo.json: seed 0, each seed, mean ± std and range."""
    runs = json.loads((REPO_ROOT / 'docs' / 'figures' / 'demo.json').read_text())['runs']
    columns = ('HOTA', 'MOTA', 'IDF1', 'DetA', 'AssA', 'IDSW')

    def value(v, name):
        return f'{v:.0f}' if name == 'IDSW' else f'{v:.1f}'

    def spread(name):
        values = [run[name] for run in runs.values()]
        return f'{statistics.mean(values):.1f} ± {statistics.stdev(values):.1f}'

    readme = (REPO_ROOT / 'README.md').read_text()
    demo = (REPO_ROOT / 'docs' / 'demo.md').read_text()
    assert _seed_table_rows(readme, 'training seed 0 (what') == [value(runs['0'][c], c) for c in columns]
    assert _seed_table_rows(readme, 'training seeds 0, 1, 2: mean') == [spread(c) for c in columns]
    assert _seed_table_rows(readme, 'training seeds 0, 1, 2: range') == [
        f'{value(min(r[c] for r in runs.values()), c)} - {value(max(r[c] for r in runs.values()), c)}'
        for c in columns]
    for seed, run in runs.items():
        label = 'training seed 0 (`make demo`)' if seed == '0' else f'training seed {seed} '
        assert _seed_table_rows(demo, label) == [value(run[c], c) for c in columns], seed
    assert _seed_table_rows(demo, 'mean ± std over seeds') == [spread(c) for c in columns]
    lengths = [key.split()[-1] for key in runs['0'] if key.startswith('HOTA, memory')]
    for seed, run in runs.items():
        assert _seed_table_rows(demo, f'seed {seed} ') == [f'{run[f"HOTA, memory {L}"]:.1f}' for L in lengths]
    assert _seed_table_rows(demo, 'mean ± std |') == [spread(f'HOTA, memory {L}') for L in lengths]


def _gpu_report_rows() -> list:
    """The rows of the committed raw GPU results, docs/gpu_report/*.json."""
    return [row for path in sorted((REPO_ROOT / 'docs' / 'gpu_report').glob('*.json'))
            for row in json.loads(path.read_text())['rows']]


def _row(rows: list, **fields) -> dict:
    found = [r for r in rows if all(r.get(k) == v for k, v in fields.items())]
    assert len(found) == 1, f'{len(found)} rows of docs/gpu_report with {fields}'
    return found[0]


def _sci(value: float) -> str:
    """``4.7e-10``, as the docs write small numbers (Python writes ``4.7e-10`` but ``4.4e-03``)."""
    return re.sub(r'e([+-])0*(\d)', r'e\1\2', f'{value:.1e}').replace('e+', 'e')


def _span(values, digits: int) -> str:
    return f'{min(values):.{digits}f}-{max(values):.{digits}f}'


def _numbers(cell: str) -> list:
    return re.findall(r'(?<![\w.])\d+(?:\.\d+)?(?:e-\d+)?', cell)  # not the 95 of p95


def test_gpu_figures_in_readme_and_docs_are_the_committed_raw_results():
    """docs/gpu.md, README.md and docs/model.md quote docs/gpu_report/*.json (the H200 run): every table cell and
    every range drawn from it (docs/gpu.md has the tables; the README and docs/model.md sum them up)."""
    rows = _gpu_report_rows()
    gpu = (REPO_ROOT / 'docs' / 'gpu.md').read_text()
    readme = (REPO_ROOT / 'README.md').read_text()
    model = (REPO_ROOT / 'docs' / 'model.md').read_text()
    latency = [r for r in rows if r.get('measurement') == 'latency']
    training = [r for r in rows if r.get('measurement') == 'training']
    for layout in ('window14', 'global'):
        label = 'window 14' if layout == 'window14' else 'global'
        for size in ('224x224', '800x1440'):
            for dtype in ('fp16', 'bf16'):
                space, stream, clip = (_row(latency, layout=layout, size=size, dtype=dtype, mode=m)
                                       for m in ('space', 'stream', 'clip'))
                memory = stream['memory_mib']
                cells = [f"{space['median_ms']:.2f} ({space['gpu_busy_ms']:.2f})",
                         f"{stream['median_ms']:.2f} ({stream['gpu_busy_ms']:.2f})",
                         f"{stream['x_space']:.2f} ({stream['gpu_busy_ms'] / space['gpu_busy_ms']:.2f})",
                         f"{space['kernels']:.0f} / {stream['kernels']:.0f}", f"{clip['median_ms']:.1f}",
                         f'{memory:.0f} MiB' if memory < 1024 else f'{memory / 1024:.1f} GiB']
                assert _seed_table_rows(gpu, f'{label}, {size}, {dtype} ') == cells, (label, size, dtype)
            fp16, bf16 = (_row(training, layout=layout, size=size, dtype=d) for d in ('fp16', 'bf16'))
            assert _seed_table_rows(gpu, f'{label}, {size} ') == [
                f"{fp16['parallel_s']:.2f} / {fp16['frame_by_frame_s']:.2f}", f"{fp16['speedup']:.2f}",
                f"{bf16['speedup']:.2f}",
                f"{fp16['parallel_peak_mib'] / 1024:.1f} / {fp16['frame_by_frame_peak_mib'] / 1024:.1f}",
                f"{_sci(fp16['max_grad_diff'])} ({_sci(fp16['max_grad'])})"], (label, size)

    streams = [r for r in latency if r['mode'] == 'stream']
    ratios = [r['x_space'] for r in streams]
    gpu_ratios = [r['gpu_busy_ms'] / _row(latency, layout=r['layout'], size=r['size'], dtype=r['dtype'],
                                          mode='space')['gpu_busy_ms'] for r in streams]
    slopes = [r['slope_ms_per_100_frames'] for r in streams]
    large = [r for r in streams if r['size'] == '800x1440']
    assert (f"slopes from {min(slopes):.1f} (window 14 fp16" in gpu
            and f"to +{max(slopes):.1f} ms per 100 frames (global bf16" in gpu)
    large_slopes = [r['slope_ms_per_100_frames'] for r in large]
    assert (f"slopes of {min(large_slopes):.1f} to {max(large_slopes):.1f} ms per 100 frames on medians of "
            f"{_span([r['median_ms'] for r in large], 1)} ms" in ' '.join(gpu.split()))
    assert max(r['p95_ms'] / r['median_ms'] for r in large) < 1.1  # "p95 within 10% of the median"
    assert f"**missed**: {_span(ratios, 1)}x (GPU time {_span(gpu_ratios, 1)}x)" in gpu
    small = [r['speedup'] for r in training if r['size'] == '224x224']
    windowed = [r['speedup'] for r in training if r['size'] == '800x1440' and r['layout'] == 'window14']
    global_ = _row(training, layout='global', size='800x1440', dtype='fp16')['speedup']
    largest_diff = max(r['max_grad_diff'] for r in training)
    assert (f"met at 224x224 ({_span(small, 1)}x) and windowed 800x1440 ({_span(windowed, 1)}x); **missed** with "
            f"global attention at 800x1440 ({global_:.2f}x); same gradients everywhere (at most "
            f"{_sci(largest_diff)})") in gpu
    assert (f"a streaming step cost {_span(ratios, 2)}x a frame-based step in wall time ({_span(gpu_ratios, 2)}x in "
            f"GPU time)") in ' '.join(model.split())
    assert (f"{_span(small, 2)}x faster than frame by frame at 224x224, {_span(windowed, 2)}x with windows of 14 at "
            f"800x1440 and {global_:.2f}x with global attention there, with gradients equal to "
            f"{_sci(largest_diff)}") in ' '.join(model.split())

    tracker = [r for r in rows if r.get('part') == 'tracker']
    infer16, infer_bf16 = (_row(tracker, measurement='streaming inference', dtype=d) for d in ('fp16', 'bf16'))
    train16, train_bf16 = (_row(tracker, measurement='training iteration', dtype=d) for d in ('fp16', 'bf16'))
    inference, train = _seed_table_rows(gpu, 'streaming inference'), _seed_table_rows(gpu, 'one training iteration')
    assert _numbers(inference[0]) == [
        f"{infer16['fps']:.1f}", f"{infer16['median_ms']:.1f}", f"{infer16['p95_ms']:.1f}",
        f"{infer16['backbone_median_ms']:.1f}", f"{100 * infer16['backbone_share']:.0f}",
        f"{infer16['peak_mib'] / 1024:.1f}"]
    assert _numbers(inference[1]) == [f"{infer_bf16['fps']:.1f}", f"{infer_bf16['median_ms']:.1f}",
                                      f"{infer_bf16['p95_ms']:.1f}", f"{infer_bf16['peak_mib'] / 1024:.1f}"]
    for cell, row in zip(train, (train16, train_bf16)):
        assert _numbers(cell) == [f"{row['median_ms']:.0f}", f"{row['p95_ms']:.0f}", f"{row['peak_mib'] / 1024:.1f}"]
    assert f"met: {infer16['fps']:.1f} (fp16), {infer_bf16['fps']:.1f} (bf16)" in gpu
    assert (f"the whole tracker streams 800x1440 video at {infer16['fps']:.1f} frames/s in fp16 and its training "
            f"iteration takes {train16['peak_mib'] / 1024:.1f} GiB, while a streaming step costs {_span(ratios, 1)}x a "
            f"frame-based one") in ' '.join(readme.split())


def test_encoder_comparison_figures_in_docs_are_the_committed_ones():
    """docs/demo.md quotes docs/figures/encoder_comparison.json: the table's top-1 and order sensitivity (seed 0)
    and the streaming model's top-1 at each seed with their mean ± std."""
    runs = json.loads((REPO_ROOT / 'docs' / 'figures' / 'encoder_comparison.json').read_text())['runs']
    demo = (REPO_ROOT / 'docs' / 'demo.md').read_text()
    for label, mode in (('frame-based (space)', 'space'), ('streaming (S-ViT)', 'stream'), ('clip-based (clip)', 'clip')):
        top1, _, order = _seed_table_rows(demo, label)[:3]
        assert top1.strip('*') == f"{runs['0'][f'top-1 {mode}']:.1f}", label
        if f'order sensitivity {mode}' in runs['0']:
            assert order == f"{runs['0'][f'order sensitivity {mode}']:.1f}", label
    stream = [runs[seed]['top-1 stream'] for seed in sorted(runs)]
    assert (f"the streaming model reaches {', '.join(f'{v:.1f}' for v in stream[:-1])} and {stream[-1]:.1f} (mean "
            f"{statistics.mean(stream):.1f} ± {statistics.stdev(stream):.1f})") in ' '.join(demo.split())
    others = {runs[seed][f'top-1 {mode}'] for seed in runs for mode in ('space', 'clip')}
    assert len(others) == 1 and f"the frame-based and clip-based ones {others.pop():.1f} at every seed" in demo


def test_weights_and_biases_examples_configure_wandb(tmp_path):
    """The README's two ways to W&B: its --cfg-options example replaces TensorBoard (that index's backend in every
    shipped config) by WandbVisBackend, and its config example keeps the config's visualizer with three backends."""
    from mmengine.config import Config
    readme = (REPO_ROOT / 'README.md').read_text()
    from svm.utils.config_checks import check_override_keys
    option = re.search(r'--cfg-options (visualizer\.vis_backends\.(\d+)\.type=WandbVisBackend) '
                       r'(visualizer\.vis_backends\.\d+\.init_kwargs\.project=\w+)', readme)
    assert option, 'README: no --cfg-options example for WandbVisBackend with its init_kwargs'
    index = int(option.group(2))
    options = cfg_options(option.group(1), option.group(3))
    for path, cfg in _shipped_configs():
        backends = [b['type'] for b in cfg.visualizer.vis_backends]
        assert backends[index] == 'TensorboardVisBackend', path
        cfg = copy.deepcopy(cfg)
        check_override_keys(cfg, options)  # what the tools check before they run
        cfg.merge_from_dict(options)
        assert [b['type'] for b in cfg.visualizer.vis_backends] == [
            *backends[:index], 'WandbVisBackend', *backends[index + 1:]], path
        assert cfg.visualizer.vis_backends[index]['init_kwargs'] == dict(project='svm'), path
    example = re.search(r'```python\n(# my_bytetrack_wandb\.py.*?)```', readme, flags=re.S)
    assert example, 'README: no W&B config example'
    config_file = tmp_path / 'my_bytetrack_wandb.py'
    config_file.write_text(example.group(1).replace("'configs/", f"'{REPO_ROOT}/configs/"))
    cfg = Config.fromfile(str(config_file))
    assert [b['type'] for b in cfg.visualizer.vis_backends] == [
        'LocalVisBackend', 'TensorboardVisBackend', 'WandbVisBackend']
    assert cfg.visualizer.vis_backends[2]['init_kwargs']['project'] == 'svm'
    assert cfg.visualizer.type == 'SVMTrackLocalVisualizer'  # merged into the base config's visualizer


def test_cuda_test_count_in_docs_is_what_the_check_collects():
    """docs/gpu.md says how many tests `check_install.py --steps cuda-tests` collects: its files, ``-k cuda``."""
    import subprocess
    import sys
    marked = re.compile(r'skipif\(\s*not torch\.cuda\.is_available\(\)')
    files = sorted(str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / 'tests').rglob('test_*.py')
                   if marked.search(p.read_text()))
    proc = subprocess.run([sys.executable, '-m', 'pytest', *files, '-k', 'cuda', '--collect-only', '-q', '-p',
                           'no:cacheprovider'], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    collected = re.search(r'(\d+)/\d+ tests collected', proc.stdout)
    assert proc.returncode == 0 and collected, proc.stdout[-2000:]
    quoted = re.search(r'--steps\s+cuda-tests` collects (\d+) tests today',
                       (REPO_ROOT / 'docs' / 'gpu.md').read_text())
    assert quoted and quoted.group(1) == collected.group(1)


def test_streams_figures_in_model_md_are_the_committed_run():
    """docs/model.md's table of the streams benchmark quotes docs/figures/streams_cpu.json: every cell."""
    result = json.loads((REPO_ROOT / 'docs' / 'figures' / 'streams_cpu.json').read_text())
    model = (REPO_ROOT / 'docs' / 'model.md').read_text()
    for case in result['per_frame']:
        h, w = case['size']
        attention = 'global' if not case['window_size'] else f"windows of {case['window_size']}"
        encoders = case['encoders']
        label = f"{h}x{w}, {attention}, memory {case['memory_len']} "
        assert _seed_table_rows(model, label) == [
            f"{encoders['space']['median_ms']:.1f}", f"{encoders['stream']['median_ms']:.1f}",
            f"{encoders['stream, two copies']['median_ms']:.1f}", f"{encoders['stream']['ratio_to_space']:.2f}",
            f"{encoders['stream']['kv_mib']:.0f}", f"{encoders['stream, two copies']['kv_mib']:.0f}"], label
    rows = result['batched']['rows']
    batched = ', '.join(f"{r['batched_fps']:.1f}" for r in rows[:-1]) + f" and {rows[-1]['batched_fps']:.1f}"
    sequential = ', '.join(f"{r['sequential_fps']:.1f}" for r in rows)
    assert f'{batched} frames/s' in model.replace('\n', ' ') and f'against {sequential} one after' in model.replace(
        '\n', ' ')


def test_mot_claims_figures_in_demo_md_are_the_committed_run():
    """docs/demo.md's `make mot-claims` HOTA table quotes docs/figures/stream_vs_space.json, every cell."""
    result = json.loads((REPO_ROOT / 'docs' / 'figures' / 'stream_vs_space.json').read_text())
    demo = (REPO_ROOT / 'docs' / 'demo.md').read_text()
    table = result['table']

    def cell(encoder, length):
        hota = table[encoder][str(length)]['HOTA'] if str(length) in table[encoder] else table[encoder]['1']['HOTA']
        return f"{100 * hota['mean']:.1f} ± {100 * hota['std']:.1f}"

    lengths = result['memory_lens']
    section = demo[demo.index('| HOTA (%), mean ± std over 3 seeds | L = 1 |'):]
    assert _seed_table_rows(section, 'streaming (S-ViT) |') == [cell('stream', L) for L in lengths]
    assert _seed_table_rows(section, 'frame-based (space), no memory') == [cell('space', L) for L in lengths]


def test_track_recognition_figures_are_the_committed_run():
    """docs/track_recognition.md quotes docs/figures/track_recognition_demo.json: training seed 0's tracking, top-1 and
    per-frame cost, and the spread over the training seeds."""
    runs = json.loads((REPO_ROOT / 'docs' / 'figures' / 'track_recognition_demo.json').read_text())['runs']
    result = runs['0']
    doc = (REPO_ROOT / 'docs' / 'track_recognition.md').read_text()

    def spread(values, digits=1):
        return f'{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}'

    tracking = {k: [r['mot'][k] * (1 if k == 'IDSW' else 100) for r in runs.values()]
                for k in ('HOTA', 'MOTA', 'IDF1', 'IDSW')}
    assert _seed_table_rows(doc, 'training seeds 0, 1, 2: tracking') == [
        ', '.join(f'{k} {spread(v)}' for k, v in tracking.items())]
    top1 = spread([100 * r['action_top1'] for r in runs.values()])
    online = spread([100 * r['online']['accuracy']['top1_last_frame'] for r in runs.values()])
    assert _seed_table_rows(doc, 'training seeds 0, 1, 2: action top-1')[0].startswith(f'{top1}% / {online}%')
    mot = result['mot']
    tracking = (f"HOTA {100 * mot['HOTA']:.1f}, MOTA {100 * mot['MOTA']:.1f}, IDF1 {100 * mot['IDF1']:.1f}, "
                f"DetA {100 * mot['DetA']:.1f}, AssA {100 * mot['AssA']:.1f}, IDSW {mot['IDSW']:.0f}")
    assert _seed_table_rows(doc, 'tracking, track recognizer')[0].startswith(tracking)
    assert _seed_table_rows(doc, 'action top-1, stage-2')[0].startswith(f"{100 * result['action_top1']:.1f}%")
    online = result['online']['accuracy']
    assert _seed_table_rows(doc, 'action top-1, track recognizer online') == [
        f"{100 * online['top1_last_frame']:.1f}% / {100 * online['top1_full_window']:.1f}%"]
    costs = result['online']['costs']['summary']
    for label, key in (('track recognizer (one', 'track_recognizer'), ('tracker alone', 'tracker'),
                       ('recogniser alone', 'recognizer')):
        assert _seed_table_rows(doc, label) == [f"{costs[key]['median_ms']:.1f}", f"{costs[key]['p95_ms']:.1f}",
                                                f"{costs[key]['fps']:.1f}"], label
