"""2.1's smaller list tools, run as installed: the withlist scripts
fix_url.py, reset_pw.py and convert.py, and bin/export.py."""

import xml.etree.ElementTree as ElementTree

import pytest


def newlist(install, name):
    result = install.bin('newlist', '-q', name, 'owner@example.com', 's3cret')
    assert result.returncode == 0, result.stderr


def withlist(install, *args):
    return install.bin('withlist', '-q', '-l', *args)


def lock_released(install, name):
    return not (install.var_prefix / 'locks' / f'{name}.lock').exists()


# Members in every state export has to tell apart; run with the installed
# Python inside the locked list.
POPULATE = '''
import sys, time
from Mailman import MemberAdaptor, mm_cfg
from Mailman.MailList import MailList
m = MailList(sys.argv[1])
m.addNewMember('plain@example.com', password='pw-plain',
               realname='Zo\\u00eb <Admin> & Co\\x07')
m.addNewMember('Cased.Person@Example.com', password='pw-cased')
m.addNewMember('digest@example.com', digest=True, password='pw-digest')
m.setMemberOption('digest@example.com', mm_cfg.DisableMime, 1)
m.addNewMember('bouncing@example.com', password='pw-bouncing', language='en')
m.setDeliveryStatus('bouncing@example.com', MemberAdaptor.BYBOUNCE)
m.setMemberOption('plain@example.com', mm_cfg.AcknowledgePosts, 1)
m.setMemberTopics('plain@example.com', ['news'])
m.Save()
m.Unlock()
'''


def populate(install, name):
    install.python(POPULATE, name)


def authenticates(install, name, member, password):
    result = install.python(
        'import sys\n'
        'from Mailman.MailList import MailList\n'
        'm = MailList(sys.argv[1], lock=0)\n'
        'print(bool(m.authenticateMember(sys.argv[2], sys.argv[3])))\n',
        name, member, password)
    return result.stdout.strip() == 'True'


# ---------------------------------------------------------------- fix_url.py
def test_fix_url_moves_a_list_to_a_new_host(site_install):
    newlist(site_install, 'tools-url')
    result = withlist(site_install, '-r', 'fix_url', 'tools-url',
                      '-u', 'Web.Example.ORG', '-v')
    assert result.returncode == 0, result.stderr
    assert 'Setting web_page_url to: http://Web.Example.ORG/mailman/' \
        in result.stdout
    saved = site_install.list_state('tools-url')
    assert saved['web_page_url'] == 'http://Web.Example.ORG/mailman/'
    # No VIRTUAL_HOSTS entry: the web host is the mail host too, as in 2.1.
    assert saved['host_name'] == 'Web.Example.ORG'
    assert lock_released(site_install, 'tools-url')
    # Without -u the site's defaults come back.
    assert withlist(site_install, '-r', 'fix_url', 'tools-url').returncode == 0
    saved = site_install.list_state('tools-url')
    assert saved['web_page_url'] == 'http://www.example.com/mailman/'
    assert saved['host_name'] == 'lists.example.com'


def test_fix_url_on_every_list_and_its_refusals(site_install):
    newlist(site_install, 'tools-url-a')
    newlist(site_install, 'tools-url-b')
    result = withlist(site_install, '-a', '-r', 'fix_url', '--',
                      '-u', 'all.example.net')
    assert result.returncode == 0, result.stderr
    for name in ('tools-url-a', 'tools-url-b'):
        assert site_install.list_state(name)['host_name'] == 'all.example.net'
        assert lock_released(site_install, name)
    # A bad option is reported in one line and the list is not left locked.
    bad = withlist(site_install, '-r', 'fix_url', 'tools-url-a', '--bogus')
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1].startswith('fix_url: ')
    assert lock_released(site_install, 'tools-url-a')
    for wrong in ('http://web.example.org', 'web.example.org/mailman', ''):
        refused = withlist(site_install, '-r', 'fix_url', 'tools-url-a',
                           '-u', wrong)
        assert refused.returncode == 2, wrong
        assert 'not a web host name' in refused.stderr
    assert site_install.list_state('tools-url-a')['host_name'] == \
        'all.example.net'
    ported = withlist(site_install, '-r', 'fix_url', 'tools-url-a',
                      '-u', 'localhost:8000')
    assert ported.returncode == 0, ported.stderr
    assert site_install.list_state('tools-url-a')['web_page_url'] == \
        'http://localhost:8000/mailman/'
    # Run on its own, it says how it is meant to be run.
    direct = site_install.bin('fix_url.py')
    assert direct.returncode == 2
    assert 'withlist -l -r fix_url' in direct.stderr


# ---------------------------------------------------------------- reset_pw.py
def test_reset_pw_gives_every_member_a_new_password(site_install):
    newlist(site_install, 'tools-pw')
    populate(site_install, 'tools-pw')
    before = site_install.list_state('tools-pw')['passwords']
    assert authenticates(site_install, 'tools-pw', 'plain@example.com',
                         'pw-plain')
    result = withlist(site_install, '-r', 'reset_pw', 'tools-pw', '-v')
    assert result.returncode == 0, result.stderr
    assert 'Cased.Person@Example.com' in result.stdout
    after = site_install.list_state('tools-pw')['passwords']
    assert set(after) == set(before) == {
        'plain@example.com', 'cased.person@example.com',
        'digest@example.com', 'bouncing@example.com'}
    for key in after:
        assert after[key] != before[key]
        assert after[key].startswith('$pbkdf2-sha256$')
    for member, old in (('plain@example.com', 'pw-plain'),
                        ('digest@example.com', 'pw-digest')):
        assert not authenticates(site_install, 'tools-pw', member, old)
    assert lock_released(site_install, 'tools-pw')


# ---------------------------------------------------------------- convert.py
PERCENT_FOOTER = ('%(real_name)s at %(host_name)s: 50%% off, $5, $dollars\n'
                  '%(web_page_url)slistinfo%(cgiext)s/%(_internal_name)s\n')


def decorated_footer(install, name):
    return install.python(
        'import sys\n'
        'from Mailman.MailList import MailList\n'
        'from Mailman.Handlers.Decorate import decorate\n'
        'm = MailList(sys.argv[1], lock=0)\n'
        'sys.stdout.write(decorate(m, m.msg_footer, "footer"))\n',
        name).stdout


def test_convert_keeps_what_a_footer_says(site_install):
    newlist(site_install, 'tools-conv')
    site_install.python(
        'import sys\n'
        'from Mailman.MailList import MailList\n'
        'm = MailList("tools-conv")\n'
        'm.msg_footer = sys.argv[1]\n'
        'm.Save(); m.Unlock()\n', PERCENT_FOOTER)
    before = decorated_footer(site_install, 'tools-conv')
    assert before.startswith('Tools-conv at lists.example.com: 50% off, $5,')
    result = withlist(site_install, '-r', 'convert', 'tools-conv')
    assert result.returncode == 0, result.stderr
    saved = site_install.list_state('tools-conv')
    assert saved['use_dollar_strings'] == 1
    assert saved['msg_footer'].startswith(
        '${real_name} at ${host_name}: 50% off, $$5, $$dollars\n')
    assert decorated_footer(site_install, 'tools-conv') == before
    again = withlist(site_install, '-r', 'convert', 'tools-conv')
    assert 'already uses $-substitutions' in again.stdout
    assert site_install.list_state('tools-conv')['msg_footer'] == \
        saved['msg_footer']


# ---------------------------------------------------------------- export.py
def exported(install, *args):
    result = install.bin('export.py', *args, text=False)
    assert result.returncode == 0, result.stderr
    return ElementTree.fromstring(result.stdout)


def options_of(list_element):
    found = {}
    for option in list_element.find('configuration'):
        values = option.findall('value')
        found[option.get('name')] = (
            option.get('type'),
            [v.text for v in values] if values else option.text)
    return found


def test_export_writes_settings_and_every_member(site_install):
    newlist(site_install, 'tools-exp')
    populate(site_install, 'tools-exp')
    top = exported(site_install, '-l', 'tools-exp')
    assert top.tag == 'mailman'
    (mlist,) = top.findall('list')
    assert mlist.get('name') == 'tools-exp'
    options = options_of(mlist)
    assert options['real_name'] == ('string', 'Tools-exp')
    assert options['owner'] == ('email_list', ['owner@example.com'])
    assert options['advertised'] == ('radio', 'True')
    assert options['emergency'] == ('bool', '0')
    assert options['digestable'] == ('bool', 'True')
    assert options['subscribe_policy'][0] == 'radio'
    # Days, as the admin page shows them and 2.1 exported them.
    assert options['bounce_info_stale_after'] == ('number', '7')
    assert options['password'] == ('string', '{NONE}')
    # %(name)s texts of an unconverted list come out in $ form.
    assert '${real_name}' in options['msg_footer'][1]
    assert len(options) > 100

    members = {m.get('id'): m for m in mlist.find('roster')}
    assert sorted(members) == ['bouncing@example.com',
                               'cased.person@example.com',
                               'digest@example.com', 'plain@example.com']
    plain = members['plain@example.com']
    assert plain.findtext('realname') == 'Zo\u00eb <Admin> & Co\ufffd'
    assert plain.findtext('password') == '{NONE}'
    assert plain.findtext('language') == 'en'
    assert plain.find('delivery').attrib == {'status': 'enabled',
                                             'delivery': 'regular'}
    assert plain.findtext('ack') == 'True' and plain.findtext('mod') == 'False'
    assert [t.text for t in plain.find('topics')] == ['news']
    assert members['cased.person@example.com'].get('original') == \
        'Cased.Person@Example.com'
    assert members['digest@example.com'].find('delivery').get('delivery') \
        == 'plain'
    bouncing = members['bouncing@example.com'].find('delivery')
    assert bouncing.get('status') == 'disabled'
    assert bouncing.get('reason') == 'bybounce'
    assert bouncing.get('changed')


def test_export_password_schemes_files_and_errors(site_install, tmp_path):
    newlist(site_install, 'tools-exp2')
    newlist(site_install, 'tools-exp3')
    populate(site_install, 'tools-exp2')
    schemes = site_install.bin('export.py', '-P')
    assert schemes.stdout.split() == ['NONE', 'HASH']
    hashed = exported(site_install, '-l', 'tools-exp2', '-p', 'HASH')
    password = hashed.find('list/roster/member').findtext('password')
    assert password.startswith('$pbkdf2-sha256$')
    assert options_of(hashed.find('list'))['password'][1].startswith(
        '$pbkdf2-sha256$')

    clear = site_install.bin('export.py', '-p', 'plain')
    assert clear.returncode == 2
    assert 'clear-text passwords, which are never kept' in clear.stderr
    missing = site_install.bin('export.py', '-l', 'tools-nosuch')
    assert missing.returncode == 1
    assert missing.stderr == 'export.py: No such list: tools-nosuch\n'

    out = tmp_path / 'lists.xml'
    result = site_install.bin('export.py', '-o', out, '-l', 'tools-exp3',
                              '-l', 'TOOLS-EXP2', '-l', 'tools-exp3')
    assert result.returncode == 0, result.stderr
    names = [e.get('name') for e in ElementTree.parse(out).getroot()]
    assert names == ['tools-exp2', 'tools-exp3']
    assert out.read_bytes().startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert out.stat().st_mode & 0o777 == 0o600
    # A file that cannot be written is reported; nothing is left behind.
    unwritable = tmp_path / 'no-such-dir' / 'lists.xml'
    failed = site_install.bin('export.py', '-o', unwritable)
    assert failed.returncode == 1 and 'cannot write' in failed.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ['lists.xml']


@pytest.mark.parametrize('script', ['fix_url.py', 'reset_pw.py', 'convert.py'])
def test_withlist_scripts_are_installed_beside_withlist(site_install, script):
    path = site_install.prefix / 'bin' / script
    assert path.is_file()
    assert path.read_text().startswith('#! ')
