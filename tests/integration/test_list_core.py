"""Issue: lists, members and the site — the list core and its commands,
run through the installed programs and the installed package."""

import hashlib
import os
import signal
import subprocess
import time




def newlist(install, name, *extra, owner='owner@example.com', password='s3cret'):
    return install.bin('newlist', '-q', *extra, name, owner, password)


def list_dir(install, name):
    return install.var_prefix / 'lists' / name


# ---------------------------------------------------------------- newlist/rmlist
def test_newlist_creates_a_list_with_hashed_password(site_install):
    assert newlist(site_install, 'core-new').returncode == 0
    saved = site_install.list_state('core-new')
    assert saved['owner'] == ['owner@example.com']
    assert saved['real_name'] == 'Core-new'
    assert saved['host_name'] == 'lists.example.com'
    assert saved['web_page_url'] == 'http://www.example.com/mailman/'
    assert saved['password'].startswith('$pbkdf2-sha256$')
    assert 's3cret' not in repr(saved)
    assert len(saved) == 145
    mode = os.stat(list_dir(site_install, 'core-new') / 'config.pck').st_mode
    assert mode & 0o777 == 0o660


def test_newlist_refusals(site_install):
    assert newlist(site_install, 'core-dup').returncode == 0
    again = newlist(site_install, 'core-dup')
    assert again.returncode == 1
    assert again.stderr.strip() == 'newlist: list already exists: core-dup'
    bad = newlist(site_install, 'bad/name')
    assert bad.returncode == 1 and 'illegal list name' in bad.stderr
    owner = newlist(site_install, 'core-owner', owner='not-an-address')
    assert owner.returncode == 1 and 'bad owner email address' in owner.stderr
    assert not list_dir(site_install, 'core-owner').exists()
    empty = newlist(site_install, 'core-nopw', password='')
    assert empty.returncode == 1


def test_password_starting_with_a_dash_after_double_dash(site_install):
    """A random password may start with "-"; "--" ends the options of
    newlist and mmsitepass, as it did with 2.1's getopt."""
    dashed = '-K196tjvXKeS'
    refused = newlist(site_install, 'core-dash', password=dashed)
    assert refused.returncode == 2
    assert newlist(site_install, 'core-dash', '--', password=dashed).returncode == 0
    assert site_install.bin('mmsitepass', '--', dashed).returncode == 0
    check = site_install.python(
        'import sys\n'
        'from Mailman import mm_cfg, Utils\n'
        'from Mailman.MailList import MailList\n'
        'm = MailList("core-dash", lock=0)\n'
        'print(m.Authenticate([mm_cfg.AuthListAdmin], sys.argv[1]),'
        ' Utils.check_global_password(sys.argv[1]))\n', dashed)
    assert check.stdout.split() == ['3', 'True']


def test_newlist_with_host_and_notice(site_install):
    virgin = site_install.var_prefix / 'qfiles' / 'virgin'
    before = set(virgin.iterdir()) if virgin.exists() else set()
    result = site_install.bin('newlist', '-a', 'core-host@www.example.com',
                              'boss@example.com', 'pw')
    assert result.returncode == 0, result.stderr
    saved = site_install.list_state('core-host')
    assert saved['host_name'] == 'lists.example.com'
    queued = set(virgin.iterdir()) - before
    assert len(queued) == 1
    dump = site_install.bin('dumpdb', queued.pop())
    assert dump.returncode == 0, dump.stderr
    assert 'Your new mailing list: core-host' in dump.stdout
    assert 'To: boss@example.com' in dump.stdout
    assert 'http://www.example.com/mailman/admin/core-host' in dump.stdout


def test_rmlist_keeps_archives_unless_asked(site_install):
    assert newlist(site_install, 'core-rm').returncode == 0
    private = site_install.var_prefix / 'archives' / 'private' / 'core-rm'
    public = site_install.var_prefix / 'archives' / 'public' / 'core-rm'
    assert private.is_dir() and public.is_symlink()
    result = site_install.bin('rmlist', 'core-rm')
    assert result.returncode == 0
    assert 'Not removing archives' in result.stdout
    assert not list_dir(site_install, 'core-rm').exists()
    assert private.is_dir()
    assert site_install.bin('rmlist', '-a', 'core-rm').returncode == 0
    assert not private.exists() and not public.is_symlink()
    missing = site_install.bin('rmlist', 'core-never')
    assert missing.returncode == 1
    assert 'No such list: core-never' in missing.stderr


def test_withlist_runs_a_site_script(site_install):
    assert newlist(site_install, 'core-with').returncode == 0
    script = site_install.prefix / 'bin' / 'describe_list.py'
    script.write_text('def describe_list(mlist, text):\n'
                      '    mlist.description = text\n'
                      '    mlist.Save()\n')
    try:
        result = site_install.bin('withlist', '-q', '-l', '-r',
                                  'describe_list', 'core-with', 'Described')
        assert result.returncode == 0, result.stderr
    finally:
        script.unlink()
    assert site_install.list_state('core-with')['description'] == 'Described'
    # The lock was released.
    assert not (site_install.var_prefix / 'locks' / 'core-with.lock').exists()


# ---------------------------------------------------------------- crash safety
def test_truncated_config_loads_from_last(site_install):
    assert newlist(site_install, 'core-trunc').returncode == 0
    site_install.python(
        'from Mailman.MailList import MailList\n'
        'm = MailList("core-trunc")\n'
        'm.description = "second save"\n'
        'm.Save(); m.Unlock()\n')
    config = list_dir(site_install, 'core-trunc') / 'config.pck'
    data = config.read_bytes()
    config.write_bytes(data[:len(data) // 2])

    report = site_install.bin('check_db', 'core-trunc')
    assert 'config.pck: damaged' in report.stdout
    assert 'config.pck.last: okay' in report.stdout

    # Read-only loads fall back to .last (the state before the last save).
    assert site_install.list_state('core-trunc')['description'] == ''
    log = (site_install.var_prefix / 'logs' / 'error').read_text()
    assert 'core-trunc' in log and 'config.pck.last' in log
    # A locked load repairs the file, keeping the damaged one aside.
    site_install.python('from Mailman.MailList import MailList\n'
                        'MailList("core-trunc").Unlock()\n')
    assert (config.parent / 'config.pck.corrupt').exists()
    assert site_install.bin('check_db', 'core-trunc').stdout.count('okay') >= 2


def test_process_killed_while_saving_leaves_a_loadable_list(site_install):
    assert newlist(site_install, 'core-kill').returncode == 0
    saver = subprocess.Popen(
        [site_install.configured_python(), '-S', '-c',
         'import paths\n'
         'from Mailman import mm_cfg\n'
         'mm_cfg.LIST_LOCK_LIFETIME = 1\n'
         'from Mailman.MailList import MailList\n'
         'from Mailman.UserDesc import UserDesc\n'
         'm = MailList("core-kill")\n'
         'i = 0\n'
         'while True:\n'
         '    i += 1\n'
         '    m.ApprovedAddMember(UserDesc("m%d@example.com" % i), ack=False,'
         ' admin_notif=False)\n'
         '    m.Save()\n'],
        cwd=site_install.prefix / 'bin')
    try:
        for delay in (0.3, 0.17, 0.41, 0.23, 0.37):
            time.sleep(delay)
            saved = site_install.list_state('core-kill')
            assert saved['data_version'] >= 112
    finally:
        saver.send_signal(signal.SIGKILL)
        saver.wait()
    # The killed process still holds the lock: break it, as the next
    # writer would once its lifetime is over, so later tests can use it.
    release_stale_lock(site_install, 'core-kill')
    saved = site_install.list_state('core-kill')
    count = len(saved['members'])
    assert count > 0
    assert set(saved['members']) == {f'm{i}@example.com'
                                     for i in range(1, count + 1)}


def release_stale_lock(install, name):
    install.python(
        'import sys\n'
        'from Mailman import LockFile\n'
        'LockFile.CLOCK_SLOP = 1\n'
        'from Mailman.MailList import MailList\n'
        'MailList(sys.argv[1]).Unlock()\n', name, timeout=60)


def test_stale_lock_of_killed_process_is_broken(site_install):
    assert newlist(site_install, 'core-stale').returncode == 0
    holder = subprocess.Popen(
        [site_install.configured_python(), '-S', '-c',
         'import paths, sys, time\n'
         'from Mailman import mm_cfg\n'
         'mm_cfg.LIST_LOCK_LIFETIME = 1\n'
         'from Mailman.MailList import MailList\n'
         'm = MailList("core-stale")\n'
         'print("locked", flush=True)\n'
         'time.sleep(3600)\n'],
        cwd=site_install.prefix / 'bin', stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == 'locked'
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (site_install.var_prefix / 'locks' / 'core-stale.lock').exists()
    result = site_install.python(
        'from Mailman import LockFile\n'
        'LockFile.CLOCK_SLOP = 1\n'
        'from Mailman.MailList import MailList\n'
        'm = MailList("core-stale")\n'
        'm.description = "after the break"\n'
        'm.Save(); m.Unlock()\n', timeout=60)
    assert result.returncode == 0
    assert site_install.list_state('core-stale')['description'] == 'after the break'


# ---------------------------------------------------------------- concurrency
WORKER = '''
import sys
from Mailman.MailList import MailList
from Mailman.UserDesc import UserDesc
worker = int(sys.argv[1])

def change(action, address):
    mlist = MailList("core-conc")
    try:
        if action == "add":
            mlist.ApprovedAddMember(UserDesc(address), ack=False,
                                    admin_notif=False)
        else:
            mlist.ApprovedDeleteMember(address, admin_notif=False,
                                       userack=False)
        mlist.Save()
    finally:
        mlist.Unlock()

for j in range(150):
    change("add", "p%d-%d@example.com" % (worker, j))
for j in range(0, 100, 2):
    change("remove", "p%d-%d@example.com" % (worker, j))
'''


def test_eight_processes_change_one_list(site_install):
    """8 processes, 200 subscribe/unsubscribe operations each, on one list:
    the end state is exactly what the operations say."""
    assert newlist(site_install, 'core-conc').returncode == 0
    python = site_install.configured_python()
    workers = [subprocess.Popen([python, '-S', '-c', 'import paths\n' + WORKER,
                                 str(i)], cwd=site_install.prefix / 'bin',
                                stderr=subprocess.PIPE, text=True)
               for i in range(8)]
    for worker in workers:
        _, errors = worker.communicate(timeout=600)
        assert worker.returncode == 0, errors
    expected = {f'p{i}-{j}@example.com' for i in range(8) for j in range(150)
                if not (j < 100 and j % 2 == 0)}
    assert set(site_install.list_state('core-conc')['members']) == expected


# ---------------------------------------------------------------- passwords
def test_old_sha1_admin_password_logs_in_and_is_rehashed(site_install):
    assert newlist(site_install, 'core-sha').returncode == 0
    old = hashlib.sha1(b'old-secret').hexdigest()
    site_install.python(
        'import sys\n'
        'from Mailman.MailList import MailList\n'
        'm = MailList("core-sha")\n'
        'm.password = sys.argv[1]\n'
        'm.Save(); m.Unlock()\n', old)
    check = site_install.python(
        'from Mailman import mm_cfg\n'
        'from Mailman.MailList import MailList\n'
        'm = MailList("core-sha", lock=0)\n'
        'print(m.Authenticate([mm_cfg.AuthListAdmin], "wrong"))\n'
        'print(m.Authenticate([mm_cfg.AuthListAdmin], "old-secret"))\n')
    assert check.stdout.split() == ['0', '3']
    stored = site_install.list_state('core-sha')['password']
    assert stored != old and stored.startswith('$pbkdf2-sha256$')
    again = site_install.python(
        'from Mailman import mm_cfg\n'
        'from Mailman.MailList import MailList\n'
        'm = MailList("core-sha", lock=0)\n'
        'print(m.Authenticate([mm_cfg.AuthListAdmin], "old-secret"))\n')
    assert again.stdout.strip() == '3'


def test_site_password_from_21_is_rehashed(site_install):
    data = site_install.var_prefix / 'data'
    (data / 'adm.pw').write_text(hashlib.sha1(b'site-old').hexdigest() + '\n')
    result = site_install.python(
        'from Mailman import Utils\n'
        'print(Utils.check_global_password("nope"),'
        ' Utils.check_global_password("site-old"))\n')
    assert result.stdout.split() == ['False', 'True']
    assert (data / 'adm.pw').read_text().startswith('$pbkdf2-sha256$')
