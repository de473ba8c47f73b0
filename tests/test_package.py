"""Importing svm: dependency checks, the mmaction2 shim and the registries."""
import importlib
import os
import re
import subprocess
import sys
from importlib import metadata

import pytest

from helpers import REPO_ROOT


def run_python(script: str, cwd=None, extra_path=()) -> str:
    """Run ``script`` in a fresh interpreter with the repository importable; return its stdout."""
    inherited = [os.environ['PYTHONPATH']] if os.environ.get('PYTHONPATH') else []
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([*map(str, extra_path), str(REPO_ROOT)] + inherited))
    result = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, env=env,
                            cwd=cwd or REPO_ROOT, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


# what a fresh interpreter has imported and patched: the stack's packages, svm's modules, mmengine's loader
IMPORT_STATE = """
import sys
def imported(*names):
    return sorted(m for m in sys.modules if m in names or m.startswith(tuple(n + '.' for n in names)))
print('stack:', [m for m in ('torch', 'mmengine', 'mmcv', 'mmcv.ops', 'mmdet', 'mmdet.models', 'mmaction',
                             'mmaction.models') if m in sys.modules])
print('svm:', [m for m in ('svm.models.mot', 'svm.datasets.mot', 'svm.datasets.transforms', 'svm.models.recognizers',
                           'svm.models.heads', 'svm.datasets.recognition') if m in sys.modules])
"""


def test_import_svm_imports_nothing_of_the_stack():
    out = run_python('import svm\n' + IMPORT_STATE)
    assert 'stack: []' in out


def test_import_svm_leaves_mmengine_checkpoint_io_alone():
    out = run_python("""
import svm, svm.tasks.mot, svm.tasks.recognition
from svm.utils.checkpoint import enable_safe_checkpoint_io, safe_checkpoint_io_enabled
print('after import:', safe_checkpoint_io_enabled())
enable_safe_checkpoint_io()
enable_safe_checkpoint_io()
print('after enable:', safe_checkpoint_io_enabled())
""")
    assert 'after import: False' in out and 'after enable: True' in out


REGISTERED = IMPORT_STATE + """
from mmaction.registry import MODELS as MMACTION_MODELS
from mmdet.registry import MODELS as MMDET_MODELS
print('mmdet:', [t for t in ('SViT', 'StreamingByteTrack', 'StreamingByteTrackRecognizer', 'SimplePyramid')
                 if t in MMDET_MODELS.module_dict])
print('mmaction:', [t for t in ('SViT', 'SViTRecognizer', 'TemporalDecoderHead') if t in MMACTION_MODELS.module_dict])
"""


def test_mot_registration_imports_no_recognition_models():
    out = run_python('from svm.utils.setup_env import register_all_modules\nregister_all_modules("mot")\n' + REGISTERED)
    assert "mmdet: ['SViT', 'StreamingByteTrack', 'StreamingByteTrackRecognizer', 'SimplePyramid']" in out
    assert "mmaction: ['SViT']" in out  # the backbone serves both codebases
    assert "svm: ['svm.models.mot', 'svm.datasets.mot', 'svm.datasets.transforms']" in out
    assert 'mmcv.ops' in out and 'mmaction.models' not in out


def test_recognition_registration_imports_no_mot_modules():
    # mmaction2's models import mmdet's (for their RoI heads); svm's MOT modules stay out
    out = run_python('import svm.tasks.recognition\n' + REGISTERED)
    assert "mmaction: ['SViT', 'SViTRecognizer', 'TemporalDecoderHead']" in out
    assert "mmdet: ['SViT', 'SimplePyramid']" in out
    assert "svm: ['svm.models.recognizers', 'svm.models.heads', 'svm.datasets.recognition']" in out


def test_register_all_modules_refuses_an_unknown_task():
    from svm.utils.setup_env import register_all_modules
    with pytest.raises(ValueError, match=r"task must be one of \('mot', 'recognition', 'all'\), got 'tracking'"):
        register_all_modules('tracking')


def test_mmaction_models_import_and_drn_placeholder_explains_itself():
    importlib.import_module('svm.tasks.recognition')
    import mmaction.models  # fails without svm/utils/mmaction_compat.py on the published 1.2.0
    from mmaction.models.localizers import DRN
    assert mmaction.models.Recognizer3D is not None
    with pytest.raises(ImportError, match='lacks mmaction/models/localizers/drn'):
        DRN()


# A transformers 5 stand-in on sys.path: its metadata says 5.0.0 and its modeling_utils lacks the names
# mmaction2 1.2.0's VindLU imports, as in the real transformers 5.
TRANSFORMERS_5_SCRIPT = """
import sys
import svm.tasks.recognition
import mmaction.models
from mmaction.registry import MODELS
try:
    MODELS.build(dict(type='VindLUVQA'))
except ImportError as err:
    print('placeholder:', err)
"""


def test_mmaction_models_import_beside_transformers_5(tmp_path):
    package = tmp_path / 'transformers'
    package.mkdir()
    (package / '__init__.py').write_text('__version__ = "5.0.0"\n')
    (package / 'modeling_utils.py').write_text('class PreTrainedModel:\n    pass\n')
    info = tmp_path / 'transformers-5.0.0.dist-info'
    info.mkdir()
    (info / 'METADATA').write_text('Metadata-Version: 2.1\nName: transformers\nVersion: 5.0.0\n')
    inherited = [os.environ['PYTHONPATH']] if os.environ.get('PYTHONPATH') else []
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO_ROOT)] + inherited))
    result = subprocess.run([sys.executable, '-c', TRANSFORMERS_5_SCRIPT], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'requires extra multi-modal dependencies' in result.stdout  # mmaction's placeholder, built


def test_version_check_says_what_to_install(monkeypatch):
    from svm.utils import dependencies
    real_version = metadata.version

    def fake_version(name):
        if name == 'mmdet':
            return '3.1.0'
        if name == 'mmaction2':
            raise metadata.PackageNotFoundError(name)
        return real_version(name)

    monkeypatch.setattr(dependencies.metadata, 'version', fake_version)
    with pytest.raises(ImportError) as info:
        dependencies.check_dependencies()
    message = str(info.value)
    assert 'mmdet==3.1.0 is installed, but svm needs >=3.3.0,<3.4.0' in message
    assert 'mmaction2 is not installed' in message and 'make test' in message


@pytest.mark.parametrize('version,accepted', [
    ('2.1.2+cu121', False), ('2.5.1', False), ('2.6.0', True), ('2.6.0a0+gitabc', True), ('2.14.1+cu130', True),
    ('3.0.0', True)])
def test_torch_floor(version, accepted):
    from svm.utils.dependencies import check_torch
    if accepted:
        check_torch(version)
    else:
        with pytest.raises(ImportError, match=rf'svm needs PyTorch >= 2\.6 .* found torch {re.escape(version)}: '
                                              r'install a newer torch'):
            check_torch(version)


def test_python_floor():
    from svm.utils.dependencies import check_python
    check_python((3, 10, 0))
    with pytest.raises(RuntimeError, match=r'svm needs Python >= 3\.10, this is Python 3\.9\.18; .*PYTHON=python3\.10'):
        check_python((3, 9, 18))


# Run with a stand-in torch 2.1 distribution first on sys.path: `import svm` must refuse it before torch or any
# package of the stack is imported.
OLD_TORCH_SCRIPT = """
import sys
try:
    import svm
except ImportError as err:
    print('refused:', err)
print('imported:', sorted(m for m in ('torch', 'mmengine', 'mmcv', 'mmdet', 'mmaction') if m in sys.modules))
"""


def test_import_svm_refuses_an_old_torch_before_importing_anything(tmp_path):
    info = tmp_path / 'torch-2.1.2.dist-info'
    info.mkdir()
    (info / 'METADATA').write_text('Metadata-Version: 2.1\nName: torch\nVersion: 2.1.2\n')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO_ROOT)]))
    result = subprocess.run([sys.executable, '-c', OLD_TORCH_SCRIPT], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'refused: svm needs PyTorch >= 2.6' in result.stdout and 'found torch 2.1.2' in result.stdout
    assert 'imported: []' in result.stdout
