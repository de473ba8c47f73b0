"""Documented figures with their environment, and a run compared with them."""
import json

import pytest

from svm.utils.reproducibility import (compare_with_reference, describe_environment, environment, figure_range,
                                       load_reference, locked_versions)

ENV = dict(python='3.11.7', machine='x86_64', cpu_capability='AVX512', torch_threads=2,
           packages={'torch': '2.14.1', 'numpy': '2.4.6'}, lock='requirements/locked_cpu.txt', differs_from_lock={})
REFERENCE = dict(environment=ENV, runs={'0': {'HOTA': 60.2358, 'IDSW': 14.0}, '1': {'HOTA': 66.49, 'IDSW': 6.0},
                                        '2': {'HOTA': 64.7, 'IDSW': 8.0}})


def test_locked_versions_reads_pins_and_ignores_comments(tmp_path):
    lock = tmp_path / 'lock.txt'
    lock.write_text('# generated\nTorch==2.14.1\nnumpy==2.4.6  # why\n\n')
    assert locked_versions(str(lock)) == {'torch': '2.14.1', 'numpy': '2.4.6'}
    assert locked_versions(str(tmp_path / 'absent.txt')) == {}


def test_environment_names_packages_that_differ_from_the_lock(tmp_path):
    lock = tmp_path / 'lock.txt'
    lock.write_text('torch==0.0.1\nnot-a-real-package-svm==1.0\n')
    env = environment(str(lock))
    assert env['differs_from_lock']['torch'][0] == '0.0.1'
    assert env['differs_from_lock']['not-a-real-package-svm'] == ['1.0', None]
    assert 'differs from' in describe_environment(env) and 'not-a-real-package-svm (1.0 locked, absent here)' in \
        describe_environment(env)


def test_same_seed_same_environment_is_identical():
    text = compare_with_reference(REFERENCE['runs']['1'], REFERENCE, ['HOTA', 'IDSW'], '1', ENV)
    assert '| HOTA | 66.5 | 66.5 | 60.2 .. 66.5 |  |' in text and '| IDSW | 6 | 6 | 6 .. 14 |  |' in text
    assert text.endswith('Identical to the documented run.')


def test_another_seed_within_the_range():
    text = compare_with_reference({'HOTA': 63.0, 'IDSW': 9}, REFERENCE, ['HOTA', 'IDSW'], '0', ENV)
    assert text.endswith('Within the documented range over seeds, not identical to the documented seed.')


def test_outside_the_range_is_said_plainly_and_blamed_on_the_environment_only_when_it_differs():
    text = compare_with_reference({'HOTA': 50.0, 'IDSW': 14}, REFERENCE, ['HOTA', 'IDSW'], '0', ENV)
    assert '| HOTA | 50.0 | 60.2 | 60.2 .. 66.5 | outside |' in text
    assert 'OUTSIDE the documented range: HOTA. The environment is the documented one: this is a regression' in text
    other = dict(ENV, cpu_capability='AVX2')
    text = compare_with_reference({'HOTA': 50.0}, REFERENCE, ['HOTA'], '0', other)
    assert 'The environment differs from the documented one' in text


def test_a_value_that_prints_as_the_bound_is_inside():
    assert figure_range(REFERENCE, 'HOTA') == [60.2358, 66.49]
    text = compare_with_reference({'HOTA': 66.5049}, REFERENCE, ['HOTA'], '1', ENV)
    assert 'outside' not in text.split('\n')[2]


def test_reference_file_needs_environment_and_runs(tmp_path):
    path = tmp_path / 'ref.json'
    path.write_text(json.dumps({'runs': {}}))
    with pytest.raises(ValueError, match=r'ref\.json: reference figures need a "environment" entry'):
        load_reference(str(path))


def test_committed_demo_figures_have_three_seeds_from_one_locked_environment():
    from helpers import REPO_ROOT
    reference = load_reference(str(REPO_ROOT / 'docs' / 'figures' / 'demo.json'))
    assert sorted(reference['runs']) == ['0', '1', '2']
    assert reference['environment']['differs_from_lock'] == {}
    assert reference['environment']['packages']['torch'] == locked_versions()['torch']
