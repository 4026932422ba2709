"""The bounce detectors (Mailman.Bouncers) on the corpus of real bounces
in tests/data/bounces: every message must give exactly the addresses and
kind EXPECTED.tsv lists."""

import email
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[1] / 'data' / 'bounces'


def expectations():
    rows = []
    for line in (CORPUS / 'EXPECTED.tsv').read_text().splitlines():
        if not line.strip() or line.startswith('#'):
            continue
        name, kind, addresses, detector = line.split('\t')
        rows.append((name, kind, sorted(addresses.split()), detector or None))
    return rows


EXPECTED = expectations()


def parse(name):
    from Mailman.Message import Message
    with open(CORPUS / name, 'rb') as fp:
        return email.message_from_binary_file(fp, _class=Message)


def test_corpus_is_complete_and_large():
    listed = {row[0] for row in EXPECTED}
    on_disk = {path.name for path in CORPUS.glob('*.txt')}
    assert listed == on_disk
    assert len(EXPECTED) >= 100
    permanent = [row for row in EXPECTED if row[1] == 'permanent']
    # Many formats, each recognised by its own detector.
    assert len({row[3] for row in permanent}) >= 15
    assert {row[1] for row in EXPECTED} == {
        'permanent', 'temporary', 'list', 'autoreply', 'unrecognised'}


@pytest.mark.parametrize('name,kind,addresses,detector', EXPECTED,
                         ids=[row[0] for row in EXPECTED])
def test_detection_is_exact(name, kind, addresses, detector):
    from Mailman.Bouncers import BouncerAPI
    msg = parse(name)
    result = BouncerAPI.scan(msg)
    assert (result.kind, result.addresses, result.detector) == \
        (kind, addresses, detector)
    # 2.1's entry point agrees.
    found = BouncerAPI.ScanMessages(None, msg)
    if kind == 'permanent':
        assert sorted(found) == addresses
    elif kind in ('temporary', 'list'):
        assert found is BouncerAPI.Stop
    else:
        assert found == []


def test_every_2_1_detector_module_exists():
    import importlib
    from Mailman.Bouncers import BouncerAPI
    names = ['DSN', 'Qmail', 'Postfix', 'Yahoo', 'Caiwireless', 'Exchange',
             'Exim', 'Netscape', 'Microsoft', 'GroupWise', 'SMTP32',
             'SimpleMatch', 'SimpleWarning', 'Yale', 'LLNL', 'AOL']
    assert set(names) <= set(BouncerAPI.BOUNCE_PIPELINE)
    for name in BouncerAPI.BOUNCE_PIPELINE:
        module = importlib.import_module(f'Mailman.Bouncers.{name}')
        assert module.process(parse('dumbass_01.txt')) == (set(), set())


def test_a_failing_detector_finds_nothing_and_is_logged():
    from Mailman.Bouncers import _flufl
    from unithelp import log_text
    broken = _flufl.detector('no_such_module', 'Nothing')
    assert broken(parse('dsn_01.txt')) == (set(), set())
    assert 'bounce detector Nothing failed' in log_text('bounce')


def test_list_caused_reads_the_notice_not_the_returned_post():
    """A post about DMARC that bounces for an unknown user is a real
    bounce: only the notice's own words count."""
    from Mailman.Bouncers import BouncerAPI
    raw = (CORPUS / 'postfix_real_unknown_user.txt').read_bytes()
    raw = raw.replace(b'A post to the demo list.',
                      b'Our DMARC policy and the Spamhaus blocklist, again.')
    msg = email.message_from_bytes(raw)
    result = BouncerAPI.scan(msg)
    assert (result.kind, result.addresses) == \
        ('permanent', ['nosuchuser@localhost'])


@pytest.mark.parametrize('headers', [
    'Auto-Submitted: auto-replied\nSubject: Re: [Demo] hello',
    'X-Autoreply: yes\nSubject: Re: [Demo] hello',
    'Subject: Out of Office: [Demo] hello',
    'Precedence: auto_reply\nSubject: thanks',
])
def test_auto_replies(headers):
    from Mailman.Bouncers import BouncerAPI
    msg = email.message_from_string(
        f'From: member@example.com\nTo: demo-bounces@lists.example.com\n'
        f'{headers}\n\nI am away until Monday; your mail to '
        f'member@example.com will be read then.\n')
    assert BouncerAPI.scan(msg).kind == 'autoreply'
    assert BouncerAPI.ScanMessages(None, msg) == []


def test_each_recipient_of_a_dsn_is_judged_on_its_own():
    """One notice, two recipients: the one refused for DMARC is left out,
    the unknown user is a bounce."""
    from Mailman.Bouncers import BouncerAPI
    raw = (CORPUS / 'postfix_real_unknown_and_full.txt').read_bytes()
    raw = raw.replace(b'mailbox full; quota exceeded',
                      b'5.7.26 rejected by the DMARC policy of example.org')
    result = BouncerAPI.scan(email.message_from_bytes(raw))
    assert (result.kind, result.addresses) == \
        ('permanent', ['ghost4@localhost'])
    raw = raw.replace(b'unknown user: "ghost4"', b'listed at zen.spamhaus.org')
    result = BouncerAPI.scan(email.message_from_bytes(raw))
    assert (result.kind, result.addresses, result.reason) == \
        ('list', ['ghost4@localhost', 'member@full.example.net'],
         'blocklist, dmarc')
