"""Install mmvmae: masked video pretraining plugins for mmaction2 1.x."""
import os.path as osp

from setuptools import find_packages, setup


def read_requirements(name: str) -> list:
    """Read one requirements file, without comments and blank lines."""
    path = osp.join(osp.dirname(__file__), 'requirements', name)
    with open(path) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


def read_version() -> str:
    namespace = {}
    with open(osp.join('mmvmae', 'version.py')) as f:
        exec(f.read(), namespace)
    return namespace['__version__']


setup(
    name='mmvmae',
    version=read_version(),
    description='Masked video pretraining (VideoMAE family) for mmaction2',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    python_requires='>=3.11',
    install_requires=read_requirements('runtime.txt'),
    extras_require=dict(tests=read_requirements('tests.txt')),
    license='Apache-2.0',
    zip_safe=False,
)
