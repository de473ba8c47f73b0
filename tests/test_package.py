"""Importing svm: dependency checks, the mmaction2 shim and the registries."""
import importlib
import os
import re
import subprocess
import sys
from importlib import metadata

import pytest

from svm.testing import REPO_ROOT


def test_import_registers_modules_into_mmdet_and_mmaction_registries():
    importlib.import_module('svm')
    from mmaction.registry import MODELS as MMACTION_MODELS
    from mmdet.registry import MODELS as MMDET_MODELS
    # the backbone is shared; mmdet and mmaction2 keep their own modules
    assert MMDET_MODELS.get('SViT') is MMACTION_MODELS.get('SViT') is not None
    assert MMDET_MODELS.get('YOLOX') is not None and MMACTION_MODELS.get('Recognizer3D') is not None


def test_mmaction_models_import_and_drn_placeholder_explains_itself():
    importlib.import_module('svm')
    import mmaction.models  # fails without svm/utils/mmaction_compat.py on the published 1.2.0
    from mmaction.models.localizers import DRN
    assert mmaction.models.Recognizer3D is not None
    with pytest.raises(ImportError, match='lacks mmaction/models/localizers/drn'):
        DRN()


# A transformers 5 stand-in on sys.path: its metadata says 5.0.0 and its modeling_utils lacks the names
# mmaction2 1.2.0's VindLU imports, as in the real transformers 5.
TRANSFORMERS_5_SCRIPT = """
import sys
import svm
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
