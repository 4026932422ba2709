# -*- coding: utf-8 -*-
"""Write the Python 2 marshal fixtures for tests/unit/test_py2marshal.py.

Run with a real Python 2.7 (the files must come from Python 2's marshal,
as Mailman 2.0 wrote config.db):

    /root/.pyenv/versions/2.7.18/bin/python \
        tests/data/py2marshal/make_fixtures.py

For each marshal format version 0, 1 and 2 it writes

    config-v21-mN.db   a list as Mailman 2.0 left it (data_version 21):
                       clear-text member passwords, a digest member, a
                       member with the old DisableDelivery option bit,
                       bounce_info as plain lists, 2.0-only attributes
                       (moderated, posters, ...), Latin-1 and UTF-8 byte
                       strings and a unicode value
    misc-mN.db         the edge cases of the format: ints that need 64
                       bits, longs, floats, tuples, sets, interned strings
                       (also interned Latin-1), empty containers

and

    code.marshal       a marshalled code object (must be refused)
    expected.json      the Python 3 values the tests compare against
                       (byte strings decoded as UTF-8, else Latin-1;
                       tuples become JSON lists)

Version 0 writes every string as 's'; version 1 adds interned strings
('t') and references to them ('R'); version 2 writes floats as 8 bytes.
"""

import json
import marshal
import os

HERE = os.path.dirname(os.path.abspath(__file__))

MSG_FOOTER = ('_______________________________________________\n'
              '%(real_name)s mailing list\n'
              '%(real_name)s@%(host_name)s\n'
              '%(web_page_url)slistinfo/%(_internal_name)s\n')

# A Mailman 2.0 list.  The attribute names are 2.0's; 2.0 had no i18n, so
# its text is byte strings in whatever the owner typed (here Latin-1 in
# one place, UTF-8 in another).
CONFIG_V21 = {
    'data_version': 21,
    'created_at': 978307200.25,
    'real_name': 'Oldies',
    'host_name': 'lists.example.com',
    'web_page_url': 'http://www.example.com/mailman/',
    'owner': ['owner@example.com'],
    'moderator': [],
    # 2.0 kept the list password crypt()ed.
    'password': 'abJnggxhB/yWI',
    'description': 'Liste f\xfcr Caf\xe9-Freunde',            # Latin-1
    'info': u'Caf\xe9 talk \u2013 since 1999',                 # unicode
    'subject_prefix': '[Oldies] ',
    'msg_header': '',
    'msg_footer': MSG_FOOTER,
    'welcome_msg': 'Willkommen, sch\xc3\xb6n dass du da bist!',  # UTF-8
    'goodbye_msg': '',
    'reply_goes_to_list': 0,
    'reply_to_address': '',
    'admin_immed_notify': 1,
    'admin_notify_mchanges': 0,
    'dont_respond_to_post_requests': 0,
    'moderated': 0,
    'member_posting_only': 1,
    'posters': ['friend@example.org'],
    'forbidden_posters': [],
    'max_message_size': 40,
    'send_reminders': 1,
    'send_welcome_msg': 1,
    'private_roster': 1,
    'obscure_addresses': 1,
    'admin_member_chunksize': 30,
    'administrivia': 1,
    'require_explicit_destination': 1,
    'acceptable_aliases': '\n',
    'umbrella_list': 0,
    'umbrella_member_suffix': '-owner',
    'subscribe_policy': 1,
    'advertised': 1,
    'archive': 1,
    'archive_private': 0,
    'archive_volume_frequency': 1,
    'clobber_date': 0,
    'digestable': 1,
    'digest_is_default': 0,
    'mime_is_default_digest': 0,
    'digest_size_threshhold': 30,
    'digest_send_periodic': 1,
    'digest_header': '',
    'digest_footer': MSG_FOOTER,
    'next_post_number': 42,
    'next_digest_number': 7,
    'nntp_host': '',
    'linked_newsgroup': '',
    'gateway_to_news': 0,
    'gateway_to_mail': 0,
    'bounce_processing': 1,
    'minimum_removal_date': 5,
    'minimum_post_count_before_bounce_action': 3,
    'automatic_bounce_action': 0,
    'max_posts_between_bounces': 5,
    'autorespond_postings': 0,
    'autorespond_admin': 0,
    'autorespond_requests': 0,
    'autoresponse_postings_text': '',
    'autoresponse_admin_text': '',
    'autoresponse_request_text': '',
    'autoresponse_graceperiod': 90,
    'postings_responses': {},
    'admin_responses': {},
    'post_id': 42.0,
    'last_post_time': 1009843200.5,
    'volume': 1,
    # Members: lower-cased keys; the value is 0, or the address in the
    # case it was subscribed with.
    'members': {
        'alice@example.com': 0,
        'bob.smith@example.org': 'Bob.Smith@example.org',
        'dave@example.com': 0,
    },
    'digest_members': {'carol@example.net': 0},
    # Clear text, as 2.0 kept them.
    'passwords': {
        'alice@example.com': 'alicepw',
        'bob.smith@example.org': 'bobpw',
        'carol@example.net': 'car\xf6lpw',                  # Latin-1
        'dave@example.com': 'davepw',
    },
    # dave has the old DisableDelivery bit (1); bob acknowledges posts (4).
    'user_options': {'dave@example.com': 1, 'bob.smith@example.org': 4},
    # 2.0's bounce records: [time of first bounce, post id, post id].
    'bounce_info': {'bob.smith@example.org': [1009000000.0, 40, 41]},
}


def misc_value():
    latin1_interned = intern('caf\xe9')
    return {
        'none': None,
        'true': True,
        'false': False,
        'int': -7,
        'int64': 4102444800,                  # needs 64 bits: 'I'
        'long': 123456789012345678901234567890L,
        'negative_long': -98765432109876543210L,
        'small_long': 5L,
        'zero_long': 0L,
        'float': 1.5,
        'big_float': 1e+300,
        'negative_float': -0.125,
        'tuple': (1, 'two', (3.0, None)),
        'empty': ((), [], {}, ''),
        'set_items': sorted(set(['a', 'b'])),
        'set': set(['a', 'b']),
        'frozenset': frozenset([1, 2]),
        'interned_twice': [intern('alpha'), intern('alpha'), 'alpha'],
        'latin1_interned': [latin1_interned, latin1_interned],
        'utf8_bytes': 'M\xc3\xbcller',
        'latin1_bytes': 'M\xfcller',
        'unicode': u'\u65e5\u672c \U0001f600',
        'nested': {'a': {'b': {'c': [1, [2, [3]]]}}},
        1: 'int key',
        (1, 'x'): 'tuple key',
    }


def to_text(value):
    """Decode a Python 2 byte string as our reader does without a hint."""
    try:
        return value.decode('utf-8')
    except UnicodeDecodeError:
        return value.decode('latin-1')


def expected_json(value):
    if isinstance(value, str):
        return to_text(value)
    if isinstance(value, dict):
        return dict((expected_json(k), expected_json(v))
                    for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [expected_json(item) for item in value]
    return value


def write(name, data):
    fp = open(os.path.join(HERE, name), 'wb')
    fp.write(data)
    fp.close()


def main():
    for version in (0, 1, 2):
        write('config-v21-m%d.db' % version,
              marshal.dumps(CONFIG_V21, version))
        write('misc-m%d.db' % version, marshal.dumps(misc_value(), version))
    write('code.marshal', marshal.dumps(compile('1 + 1', 'x', 'eval')))
    misc = misc_value()
    # Keys JSON cannot hold, and sets, are checked by the tests directly.
    for key in (1, (1, 'x'), 'set', 'frozenset', 'long', 'negative_long'):
        del misc[key]
    expected = {
        'config-v21': expected_json(CONFIG_V21),
        'misc': expected_json(misc),
    }
    fp = open(os.path.join(HERE, 'expected.json'), 'w')
    json.dump(expected, fp, indent=1, sort_keys=True)
    fp.write('\n')
    fp.close()


if __name__ == '__main__':
    main()
