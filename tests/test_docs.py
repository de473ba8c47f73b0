"""Every example of the tools' --help, README.md and docs/*.md is valid: the paths they name exist, the
options of documented commands exist, and the --cfg-options examples reach a shipped config."""
import os
import re

from svm.testing import REPO_ROOT, cfg_options, tool_help


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
    if f'{parent}.{part}' != key or not isinstance(container, dict) or 'type' not in container:
        return False
    arguments = module_arguments(cfg, container)
    return arguments is not None and (part in arguments[0] or arguments[1])


def test_every_cfg_options_example_is_valid():
    """Each `key=value` example of train.py / test.py --help and of the documentation parses with mmengine's
    DictAction, passes svm's override checks and reaches an entry (or a module argument) of a shipped config."""
    from mmengine.config import Config

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
            for raw in CFG_OPTION.findall(line.replace('"', ' ').replace("'", ' ')):
                examples += [(doc.name, option.rstrip('.,;:')) for option in expand_braces(raw)]
    assert len(examples) >= 10
    configs = [Config.fromfile(str(path)) for path in sorted((REPO_ROOT / 'configs').glob('*/svm/*.py'))]
    invalid = []
    for where, example in examples:
        options = cfg_options(example)
        key = next(iter(options))

        def valid(cfg):
            try:
                check_override_keys(cfg, options)
            except KeyError:
                return False
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
    import json
    import statistics
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
