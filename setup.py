from setuptools import find_packages, setup


def read_requirements(path):
    with open(path) as f:
        return [line.split('#')[0].strip() for line in f if line.split('#')[0].strip()]


def read_version():
    scope = {}
    with open('svm/version.py') as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='svm',
    version=read_version(),
    description='Streaming Video Model (S-ViT) for tracking and action recognition on OpenMMLab 2.x',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['svm', 'svm.*']),
    python_requires=">=3.10",
    # mmcv (built with ops) and torch are installed separately: see requirements/ and README.
    install_requires=read_requirements('requirements/runtime.txt'),
    extras_require={'tests': read_requirements('requirements/tests.txt')},
    license='Apache-2.0',
)
