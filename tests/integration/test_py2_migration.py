"""Issue: lists written by Python 2 Mailman 2.1 load, upgrade and are saved
in our format without losing anything.  The fixtures were written by a real
Python 2.7 (tests/data/py2pickles/make_fixtures.py)."""

import json
import pickle
import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / 'data' / 'py2pickles'
EXPECTED = json.loads((DATA / 'expected.json').read_text())


def install_old_list(install, name, fixture, extra=()):
    directory = install.var_prefix / 'lists' / name
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    shutil.copy(DATA / fixture, directory / 'config.pck')
    for source, target in extra:
        shutil.copy(DATA / source, directory / target)
    return directory


PROBE = '''
import pickle, sys
from Mailman import mm_cfg
from Mailman.MailList import MailList
name = sys.argv[1]
m = MailList(name)              # locked load: upgrades, then we save
try:
    m.Save()
finally:
    m.Unlock()
m = MailList(name, lock=0)
state = m._state()
# Plain data only: the test process cannot import the installed classes.
state['bounce_info'] = {k: dict(vars(v)) for k, v in state['bounce_info'].items()}
out = {
    'state': state,
    'cp': {k: m.getMemberCPAddress(k) for k in m.getMembers()},
    'auth': [bool(m.authenticateMember(k, pw))
             for k, pw in (('alice@example.com', 'alicepw'),
                           ('jose@example.net', 'josepw'),
                           ('alice@example.com', 'wrong'))],
    'bounce': {k: (v.score, tuple(v.date), v.noticesleft, v.cookie)
               for k, v in m.bounce_info.items()},
}
sys.stdout.buffer.write(pickle.dumps(out, protocol=4))
'''


@pytest.mark.parametrize('protocol', [0, 1, 2])
def test_21_list_of_data_version_112_loads_and_round_trips(site_install, protocol):
    name = f'py2-new-{protocol}'
    directory = install_old_list(site_install, name,
                                 f'config-v112-p{protocol}.pck')
    result = site_install.python(PROBE, name, text=False)
    out = pickle.loads(result.stdout)
    state = out['state']
    expected = EXPECTED['config-v112']['values']

    assert state['data_version'] == 113
    assert set(state['members']) == set(expected['members'])
    assert out['cp']['bob.smith@example.org'] == 'Bob.Smith@Example.org'
    assert state['usernames'] == expected['usernames']
    assert state['owner'] == expected['owner']
    assert state['language'] == expected['language']
    assert state['user_options'] == expected['user_options']
    assert state['topics_userinterest'] == expected['topics_userinterest']
    # 2.1's clear-text member passwords are hashes now, and still work.
    assert all(value.startswith('$pbkdf2-sha256$')
               for value in state['passwords'].values())
    assert 'alicepw' not in repr(state)
    assert out['auth'] == [True, True, False]
    bounce = EXPECTED['config-v112']['bounce_info']['jose@example.net']
    assert out['bounce']['jose@example.net'] == (
        bounce['score'], tuple(bounce['date']), bounce['noticesleft'],
        bounce['cookie'])
    # Saved in our format: a protocol 4 pickle, and the old one kept.
    data = (directory / 'config.pck').read_bytes()
    assert data[:2] == b'\x80\x04'
    # config.pck.last is the 2.1 file as it was before our first save.
    assert (directory / 'config.pck.last').read_bytes() == \
        (DATA / f'config-v112-p{protocol}.pck').read_bytes()


def test_21_passwords_verify(site_install):
    name = 'py2-auth'
    install_old_list(site_install, name, 'config-v112-p2.pck')
    result = site_install.python(
        'import sys\n'
        'from Mailman.MailList import MailList\n'
        'm = MailList(sys.argv[1], lock=0)\n'
        'print(bool(m.authenticateMember("alice@example.com", "alicepw")),'
        ' bool(m.authenticateMember("alice@example.com", "bad")),'
        ' bool(m.authenticateMember("jose@example.net", "josepw")))\n', name)
    assert result.stdout.split() == ['True', 'False', 'True']


def test_21_list_of_old_data_version_gets_new_attributes(site_install):
    name = 'py2-old'
    install_old_list(site_install, name, 'config-v87-p1.pck')
    result = site_install.python(PROBE.replace(
        "'auth': [bool(m.authenticateMember(k, pw))\n"
        "             for k, pw in (('alice@example.com', 'alicepw'),\n"
        "                           ('jose@example.net', 'josepw'),\n"
        "                           ('alice@example.com', 'wrong'))],\n", ''),
        name, text=False)
    state = pickle.loads(result.stdout)['state']
    expected = EXPECTED['config-v87']
    for attribute in expected['missing']:
        assert attribute in state, attribute
    assert state['description'] == expected['description_text']
    assert state['usernames'] == expected['values']['usernames']
    assert len(state) >= 145
    # 2.1's raw MD5 moderator password still opens the moderator role.
    check = site_install.python(
        'import sys\n'
        'from Mailman import mm_cfg\n'
        'from Mailman.MailList import MailList\n'
        'm = MailList(sys.argv[1], lock=0)\n'
        'print(m.Authenticate([mm_cfg.AuthListModerator], sys.argv[2]))\n',
        name, expected['mod_password_plain'])
    assert check.stdout.strip() == '4'


def test_21_request_database_loads(site_install):
    name = 'py2-req'
    install_old_list(site_install, name, 'config-v112-p0.pck',
                     extra=[('request-p0.pck', 'request.pck')])
    result = site_install.python(
        'import sys\n'
        'from Mailman.MailList import MailList\n'
        'm = MailList(sys.argv[1], lock=0)\n'
        'print(m.GetHeldMessageIds(), m.GetSubscriptionIds(),'
        ' m.GetUnsubscriptionIds())\n'
        'print(m.GetRecord(1)[2])\n'
        'print(m.GetRecord(2)[2])\n', name)
    lines = result.stdout.splitlines()
    assert lines[0] == '[1] [2] [3]'
    assert lines[1] == EXPECTED['request']['heldmsg'][1][2]
    assert lines[2] == EXPECTED['request']['subscription'][1][2]


def test_unreadable_list_file_is_an_error_naming_it(site_install):
    name = 'py2-broken'
    directory = install_old_list(site_install, name, 'config-v112-p2.pck')
    (directory / 'config.pck').write_bytes(b'\x80\x02garbage that is not a pickle')
    try:
        result = site_install.python(
            'import sys\n'
            'from Mailman.MailList import MailList\n'
            'MailList(sys.argv[1], lock=0)\n', name, check=False)
    finally:
        shutil.rmtree(directory)    # other tests upgrade every list
    assert result.returncode != 0
    assert 'MMCorruptListDatabaseError' in result.stderr
    assert str(directory / 'config.pck') in result.stderr


def test_bin_update_upgrades_every_list(site_install):
    directory = install_old_list(site_install, 'py2-update',
                                 'config-v112-p1.pck')
    result = site_install.bin('update', '-f')
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Updating mailing list: py2-update' in result.stdout
    data = (directory / 'config.pck').read_bytes()
    assert data[:2] == b'\x80\x04'
    assert b'alicepw' not in data
    stamp = site_install.var_prefix / 'data' / 'last_mailman_version'
    assert stamp.read_text().startswith('0x')
    again = site_install.bin('update')
    assert 'No updates are necessary' in again.stdout
