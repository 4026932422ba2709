"""setuptools metadata for the Mailman package.

Sites install with `./configure && make install`, which lays out the whole
tree and uses requirements.txt (read here too) to put the dependencies into
$prefix/pythonlib.  For development, `./configure --without-permcheck` (to
generate Mailman/Defaults.py) followed by `pip install -e .` makes the
package importable in a virtual environment.
"""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent


def requirements():
    lines = (HERE / 'requirements.txt').read_text().splitlines()
    return [line.split('#')[0].strip() for line in lines
            if line.split('#')[0].strip()]


def version():
    namespace = {}
    exec((HERE / 'Mailman' / 'Version.py').read_text(), namespace)
    return namespace['VERSION']


setup(
    name='mailman',
    version=version(),
    description='GNU Mailman 2.1, the mailing list manager, on Python 3',
    long_description=(HERE / 'README').read_text(),
    long_description_content_type='text/plain',
    license='GPL-2.0-or-later',
    python_requires='>=3.11',
    packages=find_packages(include=['Mailman', 'Mailman.*']),
    install_requires=requirements(),
    classifiers=[
        'License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)',
        'Programming Language :: Python :: 3.11',
        'Programming Language :: Python :: 3.12',
        'Programming Language :: Python :: 3.13',
        'Topic :: Communications :: Email :: Mailing List Servers',
    ],
)
