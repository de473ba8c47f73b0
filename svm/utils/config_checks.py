"""Checks of a config and its command-line overrides before anything runs, with messages that name the
file, key or value and say what was expected (mmengine would fail later, or not at all)."""
import ast
import contextlib
import copy
import difflib
import inspect
import numbers
import os.path as osp
from typing import Iterator, List, Optional, Tuple

from mmengine.config import Config
from mmengine.runner import Runner

# Top-level keys the Runner (and svm's tools) read. Every other top-level key is a variable of the config
# file, used while the file was parsed: overriding it afterwards changes nothing.
RUNNER_KEYS = set(inspect.signature(Runner.__init__).parameters) - {'self'} | {
    'model_wrapper_cfg', 'find_unused_parameters', 'sync_bn', 'compile', 'runner_type', 'trust_checkpoint',
    'partial_load'}


def load_config(path: str) -> Config:
    """``Config.fromfile``, except that a missing file is a FileNotFoundError of svm's (one line from the
    tools), and a syntax error names the file (the config or one of its ``_base_`` files) and the line;
    mmengine reports ``File "<unknown>"``."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    cycle = _find_base_cycle(path)  # mmengine would follow it until the stack overflows
    if cycle is not None:
        raise ValueError(f'config {path}: its _base_ files inherit from each other in a circle: '
                         f'{" -> ".join(cycle)}; remove one of these _base_ entries')
    try:
        return Config.fromfile(path)
    except SyntaxError:
        located = _find_syntax_error(path)
        if located is None:
            raise
        raise SyntaxError(f'{located.filename}, line {located.lineno}: {located.msg}: '
                          f'{(located.text or "").strip()!r}') from None


def _base_files(path: str) -> List[str]:
    """The absolute paths of the ``_base_`` files a Python config names (none if it cannot be parsed)."""
    try:
        with open(path, encoding='utf-8') as f:
            tree = ast.parse(f.read(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return []
    return _base_paths(tree, path)


def _base_paths(tree: ast.Module, path: str) -> List[str]:
    """The absolute paths of the ``_base_`` files named in the parsed config ``tree`` of the file ``path``."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == '_base_' for t in node.targets):
            try:
                bases = ast.literal_eval(node.value)
            except ValueError:
                continue
            found += [osp.abspath(osp.join(osp.dirname(path), b)) for b in ([bases] if isinstance(bases, str)
                                                                           else bases)]
    return found


def _find_base_cycle(path: str, chain: Optional[List[str]] = None) -> Optional[List[str]]:
    """The first circle of ``_base_`` files reached from ``path`` (its files in order, the first repeated at the
    end), or None."""
    chain = [] if chain is None else chain
    path = osp.abspath(path)
    if path in chain:
        return chain[chain.index(path):] + [path]
    if not osp.isfile(path):
        return None
    for base in _base_files(path):
        cycle = _find_base_cycle(base, chain + [path])
        if cycle is not None:
            return cycle
    return None


def _find_syntax_error(path: str, seen: Optional[set] = None) -> Optional[SyntaxError]:
    """The first syntax error in ``path`` or, depth first, in the ``_base_`` files it names."""
    seen = set() if seen is None else seen
    path = osp.abspath(path)
    if path in seen or not osp.isfile(path):
        return None
    seen.add(path)
    with open(path, encoding='utf-8') as f:
        source = f.read()
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as err:
        return err
    for base in _base_paths(tree, path):
        found = _find_syntax_error(base, seen)
        if found is not None:
            return found
    return None


def _dotted_paths(node, prefix: str = '') -> Iterator[Tuple[str, object]]:
    """(dotted path, value) of every entry of nested dicts and lists."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        path = f'{prefix}.{key}' if prefix else str(key)
        yield path, value
        yield from _dotted_paths(value, path)


def find_missing_key(cfg: Config, key: str) -> Optional[Tuple[str, str, object]]:
    """The first part of dotted ``key`` the config does not have: (the dotted path above it, the part, the
    dict or list that lacks it); None when the whole key exists."""
    node, parts = cfg._cfg_dict.to_dict(), key.split('.')
    for depth, part in enumerate(parts):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return '.'.join(parts[:depth]), part, node
    return None


# Keys mmengine's builders take off a typed dict before the class sees it (hooks' priority, a scheduler's
# convert_to_iter_based, an optim wrapper's constructor and paramwise_cfg, any dict's registry scope).
BUILDER_KEYS = {'_scope_', 'priority', 'convert_to_iter_based', 'constructor', 'paramwise_cfg'}


# The registries whose types a config's dicts name (``type=...``), looked up in the config's scope.
def _type_registries() -> list:
    from mmengine import registry
    return [registry.MODELS, registry.DATASETS, registry.TRANSFORMS, registry.DATA_SAMPLERS, registry.HOOKS,
            registry.LOOPS, registry.METRICS, registry.EVALUATOR, registry.OPTIMIZERS, registry.OPTIM_WRAPPERS,
            registry.PARAM_SCHEDULERS, registry.VISUALIZERS, registry.VISBACKENDS, registry.TASK_UTILS,
            registry.LOG_PROCESSORS]


def module_arguments(cfg: Config, module_cfg: dict) -> Optional[Tuple[set, bool, str]]:
    """The keyword arguments of the class a config dict builds (its ``type``, looked up in the config's
    ``default_scope`` in every registry that has the name), whether some ``**kwargs`` takes any other, and
    the class's name; None when no registry knows the type (the registry names it when the dict is built)."""
    type_ = module_cfg.get('type')
    if isinstance(type_, type):
        classes = [type_]
    elif isinstance(type_, str):
        classes = []
        for root in _type_registries():
            with root.switch_scope_and_registry(cfg.get('default_scope')) as registry:
                cls = registry.get(type_)
            if cls is not None and cls not in classes:
                classes.append(cls)
    else:
        return None
    if not classes:
        return None
    # a name in several registries may be several classes: a key any of them takes may be right
    names, open_ended = set(BUILDER_KEYS), False
    for cls in classes:
        if not inspect.isclass(cls):
            return None  # a registered function: its arguments are not checked here
        found, more = _init_parameters(cls)
        names |= found
        open_ended |= more
    return names, open_ended, classes[0].__name__


def _check_module_argument(cfg: Config, option: str, parent: str, part: str, container: object) -> None:
    """Refuse an override that adds ``part`` to the typed dict at ``parent`` when the class that dict builds
    takes no such argument: it would fail only when the model (or dataset, hook ...) is built."""
    if not isinstance(container, dict) or 'type' not in container:
        return  # a plain dict (train_cfg of a model, env_cfg ...): nothing says which keys it takes
    arguments = module_arguments(cfg, container)
    if arguments is None:
        return
    names, open_ended, name = arguments
    if open_ended or part in names:
        return
    close = difflib.get_close_matches(part, sorted((names - BUILDER_KEYS) | set(container) - {'type'}), n=3)
    hint = f'; did you mean {" or ".join(f"{parent}.{c}" for c in close)}?' if close else ''
    raise KeyError(f'--cfg-options {option}: {parent} ({name}) in config {cfg.filename} takes no argument '
                   f'{part!r}{hint}')


def check_override_keys(cfg: Config, options: dict) -> None:
    """Refuse a ``--cfg-options`` key that cannot take effect, saying which keys would.

    - A top-level key the config does not have (most likely a typo): mmengine would add it silently and
      the Runner would ignore it. Suggested: the closest full dotted paths of the config.
    - A top-level variable of the config (``data_root``, ``max_epochs``, ``img_scale`` ...), which the
      config used while it was parsed: changing it afterwards changes nothing. Named: the keys that hold
      its value, to override instead.
    - A deeper key that adds an argument to a typed dict (``model.detector.backbone.memry_len``) which the
      class it builds does not take (:func:`module_arguments`); suggested: the closest arguments. A new
      key of an untyped dict, or of a class with ``**kwargs``, is let through.
    """
    read = [(path, value) for path, value in _dotted_paths(cfg._cfg_dict.to_dict())
            if path.split('.')[0] in RUNNER_KEYS]
    # the arguments of a typed dict whose type is overridden too are those of its new type
    new_types = {key: value for key, value in options.items() if key.split('.')[-1] == 'type'}
    typed = cfg
    if new_types:
        typed = copy.deepcopy(cfg)
        typed.merge_from_dict(new_types)
    for key in options:
        top = key.split('.')[0]
        if top in RUNNER_KEYS:
            missing = find_missing_key(typed, key)
            if missing is not None and missing[0]:
                _check_module_argument(typed, key, *missing)
            continue
        if top in cfg:
            value = cfg[top]
            holders = [path for path, _ in read if path.split('.')[-1] == top]
            if not holders and isinstance(value, str):
                holders = [path for path, v in read if v == value]
            hint = (f'; override the keys that hold its value instead: {", ".join(holders[:6])}'
                    if holders else '')
            raise KeyError(f'--cfg-options {key}: {top!r} is a variable of config {cfg.filename}, used while '
                           f'the file was parsed, so changing it now would change nothing{hint}')
        leaves = {}
        for path, _ in read:
            leaves.setdefault(path.split('.')[-1], []).append(path)
        close = difflib.get_close_matches(top, sorted(set(leaves) | RUNNER_KEYS), n=3)
        suggestions = [p for name in close for p in leaves.get(name, [name])][:4]
        hint = f'; did you mean {" or ".join(suggestions)}?' if suggestions else ''
        raise KeyError(f'--cfg-options {key}: config {cfg.filename} has no key {top!r}{hint}')


def check_optimizer_values(cfg: Config) -> None:
    """The optimizer's hyper-parameters are numbers (a typo such as ``lr=1e-3x`` arrives as a string and
    fails deep inside the first step)."""
    optimizer = (cfg.get('optim_wrapper') or {}).get('optimizer') or {}
    for key, value in optimizer.items():
        if key in ('type', 'params') or isinstance(value, numbers.Number):
            continue
        if isinstance(value, (tuple, list)) and all(isinstance(v, numbers.Number) for v in value):
            continue
        raise TypeError(f'optim_wrapper.optimizer.{key} must be a number (or a tuple of numbers), got '
                        f'{value!r} ({type(value).__name__}) in config {cfg.filename}')


def _init_parameters(cls: type) -> Tuple[set, bool]:
    """Names of the keyword arguments ``cls(...)`` takes along its __init__ chain, and whether some
    **kwargs is left unexplained (the chain ends in one)."""
    names = set()
    for klass in cls.__mro__:
        if '__init__' not in vars(klass) or klass is object:
            continue
        params = inspect.signature(vars(klass)['__init__']).parameters.values()
        names |= {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            return names - {'self'}, False
    return names - {'self'}, True


def check_hook_args(cfg: Config) -> None:
    """Refuse unknown arguments of the configured hooks before training starts.

    mmengine's CheckpointHook passes unknown arguments on to ``runner.save_checkpoint``, so a misspelled
    ``interval`` fails only at the first save, after a whole epoch.
    """
    from mmengine.hooks import CheckpointHook
    from mmengine.registry import HOOKS, DefaultScope
    scope = cfg.get('default_scope')
    hooks: List[Tuple[str, dict]] = [(f'default_hooks.{name}', hook)
                                     for name, hook in (cfg.get('default_hooks') or {}).items() if hook]
    hooks += [(f'custom_hooks.{i}', hook) for i, hook in enumerate(cfg.get('custom_hooks') or [])]
    with DefaultScope.overwrite_default_scope(scope) if scope else contextlib.nullcontext():
        for where, hook in hooks:
            if not isinstance(hook, dict) or hook.get('type') is None:
                continue
            cls = hook['type'] if isinstance(hook['type'], type) else HOOKS.get(hook['type'])
            if cls is None:
                continue  # the registry names the missing type when the Runner builds it
            names, open_ended = _init_parameters(cls)
            if issubclass(cls, CheckpointHook):  # its **kwargs go to Runner.save_checkpoint
                names |= set(inspect.signature(Runner.save_checkpoint).parameters) - {'self'}
                open_ended = False
            unknown = [k for k in hook if k not in names and k not in ('type', 'priority')]
            if unknown and not open_ended:
                close = {k: difflib.get_close_matches(k, sorted(names), n=1) for k in unknown}
                listed = ', '.join(f'{k!r}' + (f' (did you mean {c[0]!r}?)' if c else '') for k, c in close.items())
                raise TypeError(f'{where} ({cls.__name__}) in config {cfg.filename} has unknown argument(s) '
                                f'{listed}; it takes {", ".join(sorted(names))}')



def resolve_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """The config at ``path`` (a syntax error names the file and line) with ``cfg_options`` merged in
    (a misspelled key or a parse-time variable is refused with what to override instead): the config as
    the tools that read one without a Runner see it (tools/misc/, tools/analysis_tools/)."""
    cfg = load_config(path)
    if cfg_options:
        check_override_keys(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    return cfg


# the loop counts mmengine converts with int() and compares with the iteration count (an int64 in checkpoints)
LOOP_COUNTS = ('max_epochs', 'max_iters', 'val_interval', 'val_begin')


def check_loop_values(cfg: Config) -> None:
    """Refuse a ``train_cfg`` count that is not a whole number in [0, 2**63): mmengine's ``int()`` of an infinite
    or 5000-digit value fails while the loop is built, without naming the key."""
    train_cfg = cfg.get('train_cfg') or {}
    for key in LOOP_COUNTS:
        value = train_cfg.get(key)
        if value is None:
            continue
        whole = (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float)
                                                                            and value.is_integer())
        if not (whole and 0 <= value < 2**63):
            shown = repr(value) if len(repr(value)) <= 40 else f'{repr(value)[:20]}... ({len(repr(value))} digits)'
            raise ValueError(f'train_cfg.{key} in config {cfg.filename} is {shown}: expected a whole number from 0 '
                             f'to {2**63 - 1}')
