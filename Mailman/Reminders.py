"""The monthly membership reminder: cron/mailpasswds.

2.1 mailed every member their password once a month.  Passwords are
hashed here, so the reminder says instead which lists the address is on
at one host, with each list's options page, where the member can ask for
a one-time login link or a link to choose a new password.

As in 2.1: only lists with send_reminders set count; a member who turned
the reminder off for a list (SuppressPasswordReminder, "remind") is left
out for that list; one message goes to each address per virtual host
(host_name), listing every list there, in the language most of those
memberships use, sent as the site list (MAILMAN_SITE_LIST) from its
-owner address on that host, VERPed when VERP_PASSWORD_REMINDERS is set.
For an umbrella list the reminder goes to the member's administrative
address (GetMemberAdminEmail), not to the member list itself.
"""

import collections

from Mailman import Errors
from Mailman import Message
from Mailman import Utils
from Mailman import i18n
from Mailman import mm_cfg
from Mailman.i18n import _
from Mailman.Logging.Syslog import syslog

# One membership in a reminder.
Entry = collections.namedtuple(
    'Entry', 'listname listaddr member optionsurl language requestaddr')



def lists_by_host(listnames):
    """{host_name: [loaded lists that send reminders]}, hosts and lists in
    name order.  Lists that cannot be loaded are logged and left out."""
    from Mailman.MailList import MailList
    byhost = {}
    for name in sorted(listnames):
        try:
            mlist = MailList(name, lock=0)
        except Errors.MMListError as error:
            syslog('error', 'mailpasswds: list %s cannot be loaded: %s',
                   name, error)
            continue
        if mlist.send_reminders:
            byhost.setdefault(mlist.host_name, []).append(mlist)
    return dict(sorted(byhost.items()))


def memberships(mlists):
    """{recipient (lower case): [Entry, ...]} for the members of MLISTS
    who want reminders; the recipient is the member's administrative
    address."""
    byaddress = {}
    for mlist in mlists:
        for member in mlist.getMembers():
            if mlist.getMemberOption(member, mm_cfg.SuppressPasswordReminder):
                continue
            address = mlist.getMemberCPAddress(member)
            recipient = mlist.GetMemberAdminEmail(address)
            entry = Entry(mlist.internal_name(), mlist.GetListEmail(),
                          address,
                          mlist.GetOptionsURL(address, absolute=True),
                          mlist.getMemberLanguage(member),
                          mlist.GetRequestEmail())
            byaddress.setdefault(recipient.lower(), (recipient, []))[1] \
                .append(entry)
    return byaddress


def favourite_language(entries):
    """The language most ENTRIES use; a tie goes to the first one seen,
    so that the choice does not change from month to month."""
    counts = collections.Counter(entry.language for entry in entries)
    best = max(counts.values())
    return next(entry.language for entry in entries
                if counts[entry.language] == best)


def reminder_text(host, recipient, entries, language):
    siteowner = Utils.get_site_email(host, 'owner')
    text = Utils.maketext('cronpass.txt', {
        'hostname': host,
        'useraddr': recipient,
        'exreq': entries[0].requestaddr,
        'owner': siteowner,
    }, lang=language)
    # Filled in, the lines may have grown too long.
    text = Utils.wrap(text)
    # The table goes after the filled text, so that it keeps its layout.
    rows = [_('Your lists, each with its options page:'), '']
    for entry in entries:
        rows.append(f'    {entry.listaddr}')
        if entry.member.lower() != recipient.lower():
            rows.append('        ' + _('member address: %(address)s')
                        % {'address': entry.member})
        rows.append(f'        {entry.optionsurl}')
        rows.append('')
    return text.rstrip('\n') + '\n\n' + '\n'.join(rows)


def send_reminder(sitelist, host, recipient, entries):
    language = favourite_language(entries)
    siteowner = Utils.get_site_email(host, 'owner')
    with i18n.using(language):
        text = reminder_text(host, recipient, entries, language)
        subject = _('%(host)s mailing list memberships reminder') % {
            'host': host}
    msg = Message.UserNotification(recipient, siteowner, subject, text,
                                   language)
    msg['X-No-Archive'] = 'yes'
    del msg['Auto-Submitted']
    msg['Auto-Submitted'] = 'auto-generated'
    # Sent as the site list, but with this host's addresses, so that the
    # reminder looks like it comes from the member's own virtual host and
    # its bounces reach the site list there.
    msg.send(sitelist, envsender=Utils.get_site_email(host, 'bounces'),
             errorsto=siteowner, _nolist=1,
             verp=mm_cfg.VERP_PASSWORD_REMINDERS)


def run(listnames=None):
    """Send the reminders for LISTNAMES (default: every list).  Returns
    the number of messages queued."""
    from Mailman.MailList import MailList
    try:
        sitelist = MailList(mm_cfg.MAILMAN_SITE_LIST, lock=0)
    except Errors.MMUnknownListError:
        raise Errors.MMUnknownListError(
            f'the site list {mm_cfg.MAILMAN_SITE_LIST} is missing; create '
            f'it with bin/newlist {mm_cfg.MAILMAN_SITE_LIST}') from None
    sent = 0
    for host, mlists in lists_by_host(listnames or Utils.list_names()).items():
        for recipient, entries in memberships(mlists).values():
            send_reminder(sitelist, host, recipient, entries)
            sent += 1
    return sent
