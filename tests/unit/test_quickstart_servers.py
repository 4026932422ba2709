"""misc/mtaentry.py and misc/mailcapture.py: the quick start's SMTP servers.

The entry point is driven over real SMTP; in place of the installed mail
wrapper it runs a small script that records what it was given and exits
with the status a list's name asks for, so that every sysexits answer can
be seen (the real wrapper is run by tests/integration/test_quickstart.py).
"""

import email
import mailbox
import smtplib
import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / 'misc'))
import mailcapture  # noqa: E402
import mtaentry  # noqa: E402

# The stand-in wrapper: records its arguments, environment and input, and
# exits with the status after "status" in the list name (0 otherwise).
WRAPPER = '''#!/bin/sh
out="$(dirname "$0")/../calls"
mkdir -p "$out"
n=$(ls "$out" | wc -l)
{ echo "$1 $2"; echo "SENDER=$SENDER"; echo "RECIPIENT=$RECIPIENT"; echo; cat; } > "$out/$n"
case "$2" in status*) exit "${2#status}" ;; esac
exit 0
'''
LISTS = ('sample', 'mailman', 'status67', 'status75', 'status2')


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize('local_part, expected', [
    ('sample', ('post', 'sample')),
    ('Sample', ('post', 'sample')),
    ('sample-request', ('request', 'sample')),
    ('sample-admin', ('admin', 'sample')),
    ('sample-owner', ('owner', 'sample')),
    ('sample-join', ('join', 'sample')),
    ('sample-leave', ('leave', 'sample')),
    ('sample-subscribe', ('subscribe', 'sample')),
    ('sample-unsubscribe', ('unsubscribe', 'sample')),
    ('sample-bounces+alice=example.com', ('bounces', 'sample')),
    ('sample-confirm+0123abcd', ('confirm', 'sample')),
    ('my-list', ('post', 'my-list')),
    ('my-list-request', ('request', 'my-list')),
    ('nosuch', None),
    ('nosuch-request', None),
    ('sample-bogus', None),
    ('-request', None),
    ('', None),
])
def test_route(local_part, expected):
    lists = {'sample', 'my-list'}
    assert mtaentry.route(local_part, lists.__contains__) == expected


@pytest.mark.parametrize('status, code', [
    (0, '250'), (67, '550'), (64, '554'), (78, '554'), (75, '451'),
    (74, '451'), (2, '451'), (1, '451'), (-9, '451')])
def test_exit_status_replies(status, code):
    assert mtaentry.reply_for_status(status, 'why').startswith(code + ' ')


@pytest.fixture
def entry(tmp_path):
    prefix = tmp_path / 'prefix'
    (prefix / 'mail').mkdir(parents=True)
    wrapper = prefix / 'mail' / 'mailman'
    wrapper.write_text(WRAPPER)
    wrapper.chmod(0o755)
    for name in LISTS:
        (prefix / 'lists' / name).mkdir(parents=True)
        (prefix / 'lists' / name / 'config.pck').write_bytes(b'')
    port = free_port()
    controller = mtaentry.make_controller(mtaentry.MailmanEntry(prefix), port)
    controller.start()
    yield prefix, port
    controller.stop()


def calls(prefix):
    directory = prefix / 'calls'
    return [(directory / name).read_bytes()
            for name in sorted(directory.iterdir(), key=lambda p: int(p.name))] \
        if directory.exists() else []


MESSAGE = b'From: a@example.com\r\nSubject: hi\r\n\r\nbody line\r\n.dotted\r\n'


def test_entry_pipes_each_recipient_to_the_wrapper(entry):
    prefix, port = entry
    with smtplib.SMTP('127.0.0.1', port) as smtp:
        refused = smtp.sendmail('a@example.com', [
            'sample@lists.localhost', 'sample-request@lists.localhost',
            'sample-bounces+x=example.org@lists.localhost'], MESSAGE)
    assert refused == {}
    post, request, bounce = calls(prefix)
    head, _, stdin = post.partition(b'\n\n')
    assert head.split(b'\n') == [b'post sample', b'SENDER=a@example.com',
                                 b'RECIPIENT=sample@lists.localhost']
    # The message as sent, unstuffed, after the header an MTA adds.
    assert stdin == b'Delivered-To: sample@lists.localhost\r\n' + MESSAGE
    assert request.startswith(b'request sample\n')
    assert bounce.startswith(b'bounces sample\n')


def test_entry_refuses_unknown_lists_at_rcpt(entry):
    prefix, port = entry
    with smtplib.SMTP('127.0.0.1', port) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refusal:
            smtp.sendmail('a@example.com', ['nosuch@lists.localhost'], MESSAGE)
        code, text = refusal.value.recipients['nosuch@lists.localhost']
        assert code == 550 and b'no such list' in text
        # Partly refused: the known list still gets the message.
        refused = smtp.sendmail('a@example.com', ['x-request@lists.localhost',
                                                  'mailman-owner@lists.localhost'],
                                MESSAGE)
        assert list(refused) == ['x-request@lists.localhost']
    [owner] = calls(prefix)
    assert owner.startswith(b'owner mailman\n')


@pytest.mark.parametrize('listname, code', [
    ('status67', 550), ('status75', 451), ('status2', 451)])
def test_entry_maps_wrapper_exit_statuses(entry, listname, code):
    prefix, port = entry
    with smtplib.SMTP('127.0.0.1', port) as smtp:
        with pytest.raises(smtplib.SMTPDataError) as failure:
            smtp.sendmail('a@example.com', [f'{listname}@lists.localhost'], MESSAGE)
    assert failure.value.smtp_code == code
    assert len(calls(prefix)) == 1


def test_capture_files_one_copy_per_recipient(tmp_path):
    port = free_port()
    controller = mailcapture.make_controller(
        mailcapture.MaildirCapture(tmp_path / 'maildir'), port)
    controller.start()
    try:
        with smtplib.SMTP('127.0.0.1', port) as smtp:
            assert smtp.sendmail('list-bounces@lists.localhost',
                                 ['alice@example.com', 'bob@example.com'],
                                 MESSAGE) == {}
    finally:
        controller.stop()
    box = mailbox.Maildir(str(tmp_path / 'maildir'), create=False)
    copies = {}
    for key in box.keys():
        with box.get_file(key) as file:
            raw = file.read()
        message = email.message_from_bytes(raw)
        copies[message['Delivered-To']] = (message, raw)
    assert sorted(copies) == ['alice@example.com', 'bob@example.com']
    for message, raw in copies.values():
        assert message['Return-Path'] == '<list-bounces@lists.localhost>'
        assert message['Subject'] == 'hi'
        assert raw.endswith(b'body line\n.dotted\n')
