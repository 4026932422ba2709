"""An XML picture of lists, their settings and their members (bin/export.py).

The document has 2.1's shape, so tools written for 2.1's export.py read it:

    <mailman>
      <list name="...">
        <configuration>
          <option name="..." type="bool|radio|string|...">value</option>
          <option name="..." type="email_list"><value>...</value>...</option>
        </configuration>
        <roster>
          <member id="address" [original="Case-Kept Address"]>
            <realname/> <password/> <language/>
            <delivery status="enabled|disabled" [reason=...]
                      delivery="regular|mime|plain" [changed=ISO time]/>
            <hide/> <nomail/> <ack/> ... one element per member option
            <topics>[<topic>...</topic>...]</topics>
          </member>
        </roster>
      </list>
    </mailman>

Passwords (the administrator's and the members') are written as the
chosen scheme says: {NONE}, or the stored salted hash.

Settings are written in the units the list stores, except the two bounce
intervals, which are in days as the admin page shows them (as 2.1 wrote
them).  Texts that still use 2.1's %(name)s substitutions are written in
$name form, as 2.1 did.
"""

import datetime
import io
import re
import xml.etree.ElementTree as ElementTree

from Mailman import Gui
from Mailman import MemberAdaptor
from Mailman import Utils
from Mailman import mm_cfg
from Mailman.Gui import GUIBase

WIDGET_NAMES = {
    mm_cfg.Toggle: 'bool',
    mm_cfg.Radio: 'radio',
    mm_cfg.String: 'string',
    mm_cfg.Text: 'text',
    mm_cfg.Email: 'email',
    mm_cfg.EmailList: 'email_list',
    mm_cfg.Host: 'host',
    mm_cfg.Number: 'number',
    mm_cfg.FileUpload: 'upload',
    mm_cfg.Select: 'select',
    mm_cfg.Topics: 'topics',
    mm_cfg.Checkbox: 'checkbox',
    mm_cfg.EmailListEx: 'email_list_ex',
    mm_cfg.HeaderFilter: 'header_filter',
}

DISABLED_REASONS = {
    MemberAdaptor.BYUSER: 'byuser',
    MemberAdaptor.BYADMIN: 'byadmin',
    MemberAdaptor.BYBOUNCE: 'bybounce',
}

# Member passwords are salted hashes that cannot be turned back into clear
# text, so 2.1's PLAIN, SHA and SSHA schemes cannot be offered.
PASSWORD_SCHEMES = {
    'none': lambda stored: '{NONE}',
    'hash': lambda stored: stored or '{NONE}',
}

# Characters XML 1.0 does not allow, even escaped.  A list's texts come from
# web forms and old data, so they may hold them.
_NOT_XML = re.compile('[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]')


def _text(value):
    if isinstance(value, bytes):
        value = value.decode('utf-8', 'replace')
    return _NOT_XML.sub('\ufffd', str(value))


def _add(parent, tag, value=None, **attributes):
    element = ElementTree.SubElement(
        parent, tag, {name: _text(attr) for name, attr in attributes.items()})
    if value is not None:
        element.text = _text(value)
    return element


def setting_value(mlist, attribute, widget_type, params):
    value = getattr(mlist, attribute, None)
    if attribute in GUIBase.DAY_ATTRIBUTES:
        return GUIBase.display_value(mlist, attribute, widget_type, params)
    if (attribute in Utils.DOLLAR_STRING_ATTRIBUTES and isinstance(value, str)
            and not getattr(mlist, 'use_dollar_strings', 0)):
        return Utils.to_dollar(value)
    return value


def add_configuration(parent, mlist, password_scheme):
    configuration = _add(parent, 'configuration')
    _add(configuration, 'option', mlist.preferred_language,
         name='preferred_language', type='string')
    # 2.1 always wrote the administrator password's digest; here it follows
    # the scheme chosen for member passwords, so no hash leaves by default.
    _add(configuration, 'option', password_scheme(mlist.password),
         name='password', type='string')
    for _category, _subcat, item in Gui.declarations(mlist):
        attribute, widget_type, params = item[:3]
        if not Gui.is_setting(attribute) or attribute == 'use_dollar_strings':
            continue
        value = setting_value(mlist, attribute, widget_type, params)
        kind = WIDGET_NAMES.get(widget_type, 'string')
        if isinstance(value, (list, tuple)):
            option = _add(configuration, 'option', name=attribute, type=kind)
            for item_value in value:
                _add(option, 'value', item_value)
        else:
            _add(configuration, 'option', '' if value is None else value,
                 name=attribute, type=kind)


def delivery_attributes(mlist, member, digesters):
    status = mlist.getDeliveryStatus(member)
    attributes = {'status': 'enabled' if status == MemberAdaptor.ENABLED
                  else 'disabled'}
    if status != MemberAdaptor.ENABLED:
        attributes['reason'] = DISABLED_REASONS.get(status, 'unknown')
    if member in digesters:
        plain = mlist.getMemberOption(member, mm_cfg.DisableMime)
        attributes['delivery'] = 'plain' if plain else 'mime'
    else:
        attributes['delivery'] = 'regular'
    changed = mlist.getDeliveryStatusChangeTime(member)
    if changed:
        attributes['changed'] = datetime.datetime.fromtimestamp(
            changed).isoformat()
    return attributes


def add_roster(parent, mlist, password_scheme):
    roster = _add(parent, 'roster')
    digesters = set(mlist.getDigestMemberKeys())
    for member in sorted(mlist.getMembers()):
        attributes = {'id': member}
        cased = mlist.getMemberCPAddress(member)
        if cased != member:
            attributes['original'] = cased
        entry = _add(roster, 'member', **attributes)
        _add(entry, 'realname', mlist.getMemberName(member) or '')
        _add(entry, 'password',
             password_scheme(mlist.getMemberPassword(member)))
        _add(entry, 'language', mlist.getMemberLanguage(member))
        _add(entry, 'delivery', **delivery_attributes(mlist, member, digesters))
        for option, flag in mm_cfg.OPTINFO.items():
            if option in ('digest', 'plain'):
                continue        # part of <delivery>
            _add(entry, option, bool(mlist.getMemberOption(member, flag)))
        topics = _add(entry, 'topics')
        for topic in mlist.getMemberTopics(member) or []:
            _add(topics, 'topic', topic)


def list_element(parent, mlist, password_scheme):
    element = _add(parent, 'list', name=mlist.internal_name())
    add_configuration(element, mlist, password_scheme)
    add_roster(element, mlist, password_scheme)
    return element


def document(mlists, password_scheme):
    """The ElementTree of MLISTS (MailList objects, in the order given)."""
    top = ElementTree.Element('mailman', {
        'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
        'xsi:noNamespaceSchemaLocation': 'ssi-1.0.xsd',
    })
    for mlist in mlists:
        list_element(top, mlist, password_scheme)
    tree = ElementTree.ElementTree(top)
    ElementTree.indent(tree, space='    ')
    return tree


def to_bytes(tree):
    """TREE as a UTF-8 XML document, with its declaration."""
    out = io.BytesIO()
    tree.write(out, encoding='utf-8', xml_declaration=True)
    out.write(b'\n')
    return out.getvalue()
