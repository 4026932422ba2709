
# ---- tests/integration/test_runners.py: begin (removed after the tests) ----
# Only processes started by those tests (MMTEST_RUNNERS=1 in their
# environment) see these settings.
import os as _mmtest_os
if _mmtest_os.environ.get('MMTEST_RUNNERS') == '1':
    _mmtest_env = _mmtest_os.environ
    QRUNNER_SLEEP_TIME = float(_mmtest_env.get('MMTEST_SLEEP', '0.2'))
    if 'MMTEST_QRUNNERS' in _mmtest_env:
        QRUNNERS = [(_name, 1) for _name in
                    _mmtest_env['MMTEST_QRUNNERS'].split(',')]
    if 'MMTEST_SITE_LIST' in _mmtest_env:
        MAILMAN_SITE_LIST = _mmtest_env['MMTEST_SITE_LIST']
    if 'MMTEST_DELIVERY' in _mmtest_env:
        DELIVERY_MODULE = _mmtest_env['MMTEST_DELIVERY']
    if 'MMTEST_RETRY_WAIT' in _mmtest_env:
        DELIVERY_RETRY_WAIT = float(_mmtest_env['MMTEST_RETRY_WAIT'])
    if 'MMTEST_RETRY_PERIOD' in _mmtest_env:
        DELIVERY_RETRY_PERIOD = float(_mmtest_env['MMTEST_RETRY_PERIOD'])
    if 'MMTEST_LOCK_TIMEOUT' in _mmtest_env:
        LIST_LOCK_TIMEOUT = float(_mmtest_env['MMTEST_LOCK_TIMEOUT'])
# ---- tests/integration/test_runners.py: end ----
