"""cron/senddigests and cron/bumpdigests, run as installed, on lists made
with bin/newlist: the pending digest of each chosen list lands in
qfiles/virgin, MIME and plain, each with its own recipients."""

import email
import itertools
import json
import os
import pickle

from installs import run

_names = itertools.count()

SETUP = '''
import email, sys
from Mailman import mm_cfg
from Mailman.MailList import MailList
from Mailman.Message import Message
from Mailman.MemberAdaptor import BYUSER
from Mailman.Handlers import ToDigest
mlist = MailList(sys.argv[1])
try:
    mlist.real_name = 'Digesters'
    mlist.digest_size_threshhold = 0
    mlist.digest_send_periodic = sys.argv[2] == '1'
    mlist.addNewMember('Mime.Reader@example.com', digest=True)
    mlist.addNewMember('plain@example.com', digest=True)
    mlist.setMemberOption('plain@example.com', mm_cfg.DisableMime, 1)
    mlist.addNewMember('nomail@example.com', digest=True)
    mlist.setDeliveryStatus('nomail@example.com', BYUSER)
    mlist.addNewMember('regular@example.com')
    for number in (1, 2):
        msg = email.message_from_string(
            'From: Poster <poster@example.org>\\n'
            f'To: {mlist.GetListEmail()}\\n'
            f'Subject: Post number {number}\\n'
            f'Message-ID: <{number}.{sys.argv[1]}@example.org>\\n\\n'
            f'Body of post {number}.\\n', _class=Message)
        ToDigest.process(mlist, msg, {})
    mlist.Save()
finally:
    mlist.Unlock()
'''

STATE = '''
import json, sys
from Mailman.MailList import MailList
mlist = MailList(sys.argv[1], lock=0)
print(json.dumps({'volume': mlist.volume,
                  'issue': mlist.next_digest_number,
                  'sent_at': mlist.digest_last_sent_at}))
'''


def make_list(install, periodic=True):
    name = f'digests-{os.getpid()}-{next(_names)}'
    result = install.bin('newlist', '-q', name, 'owner@example.com', 'pw')
    assert result.returncode == 0, result.stderr
    install.python(SETUP, name, '1' if periodic else '0')
    return name


def cron(install, program, *args):
    return run([str(install.prefix / 'cron' / program), *args],
               cwd=install.prefix, check=False)


def virgin_entries(install, listname):
    """(message bytes, metadata) of LISTNAME's entries in qfiles/virgin."""
    queue = install.var_prefix / 'qfiles' / 'virgin'
    found = []
    for path in sorted(queue.glob('*.pck')) if queue.exists() else []:
        with open(path, 'rb') as f:
            stored = pickle.load(f)
            data = pickle.load(f)
        if data.get('listname') == listname:
            found.append((stored, data))
    return found


def digest_mbox(install, name):
    return install.var_prefix / 'lists' / name / 'digest.mbox'


def state(install, name):
    return json.loads(install.python(STATE, name).stdout)


def test_senddigests_queues_mime_and_plain_digests(site_install):
    name = make_list(site_install)
    assert digest_mbox(site_install, name).exists()
    assert virgin_entries(site_install, name) == []
    result = cron(site_install, 'senddigests', '-l', name)
    assert result.returncode == 0, result.stderr
    entries = virgin_entries(site_install, name)
    assert len(entries) == 2
    by_recips = {tuple(data['recips']): (email.message_from_bytes(raw), data)
                 for raw, data in entries}
    assert set(by_recips) == {('Mime.Reader@example.com',),
                              ('plain@example.com',)}
    mime, mime_data = by_recips[('Mime.Reader@example.com',)]
    plain, plain_data = by_recips[('plain@example.com',)]
    assert mime_data['isdigest'] and plain_data['isdigest']
    for digest in (mime, plain):
        assert digest['subject'] == 'Digesters Digest, Vol 1, Issue 1'
        assert digest['to'] == f'{name}@lists.example.com'
        assert digest['from'] == f'{name}-request@lists.example.com'
    assert mime.get_content_type() == 'multipart/mixed'
    container = [p for p in mime.get_payload()
                 if p.get_content_type() == 'multipart/digest']
    assert len(container) == 1
    subjects = [p.get_payload(0)['subject']
                for p in container[0].get_payload()]
    assert subjects == ['Post number 1', 'Post number 2']
    text = plain.get_payload(decode=True).decode(
        plain.get_content_charset('us-ascii'))
    assert 'Body of post 1.' in text and 'Body of post 2.' in text
    assert text.rstrip().endswith('*' * len(
        'End of Digesters Digest, Vol 1, Issue 1'))
    assert not digest_mbox(site_install, name).exists()
    after = state(site_install, name)
    assert after['issue'] == 2 and after['sent_at'] > 0
    # Nothing collected since: a second run sends nothing.
    assert cron(site_install, 'senddigests', '-l', name).returncode == 0
    assert len(virgin_entries(site_install, name)) == 2


def test_senddigests_honours_periodic_setting_and_exceptions(site_install):
    periodic = make_list(site_install)
    excepted = make_list(site_install)
    manual = make_list(site_install, periodic=False)
    result = cron(site_install, 'senddigests', '-l', periodic, '-l', excepted,
                  '-l', manual, '-e', excepted)
    assert result.returncode == 0, result.stderr
    assert len(virgin_entries(site_install, periodic)) == 2
    assert virgin_entries(site_install, excepted) == []
    assert virgin_entries(site_install, manual) == []
    assert digest_mbox(site_install, excepted).exists()
    assert digest_mbox(site_install, manual).exists()
    # Without -l every list is considered.
    result = cron(site_install, 'senddigests', '-e', manual)
    assert result.returncode == 0, result.stderr
    assert len(virgin_entries(site_install, excepted)) == 2
    assert virgin_entries(site_install, manual) == []


def test_senddigests_unknown_list(site_install):
    result = cron(site_install, 'senddigests', '-l', 'no-such-list-here')
    assert result.returncode == 1
    assert 'No such list: no-such-list-here' in result.stderr
    help_text = cron(site_install, 'senddigests', '--help')
    assert help_text.returncode == 0
    assert '-e' in help_text.stdout and '-l' in help_text.stdout


def test_bumpdigests(site_install):
    name = make_list(site_install)
    before = state(site_install, name)
    result = cron(site_install, 'bumpdigests', name)
    assert result.returncode == 0, result.stderr
    after = state(site_install, name)
    assert after['volume'] == before['volume'] + 1 and after['issue'] == 1
    result = cron(site_install, 'senddigests', '-l', name)
    assert result.returncode == 0, result.stderr
    entries = virgin_entries(site_install, name)
    assert len(entries) == 2
    for raw, data in entries:
        assert data['isdigest']
        assert email.message_from_bytes(raw)['subject'] == \
            f'Digesters Digest, Vol {after["volume"]}, Issue 1'
    missing = cron(site_install, 'bumpdigests', 'no-such-list-here')
    assert missing.returncode == 1
    assert 'No such list: no-such-list-here' in missing.stderr
