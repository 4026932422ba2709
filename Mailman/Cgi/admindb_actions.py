"""Carrying out what a moderator submitted on the admindb page.

The form (field names in admindb_render) is read into one decision per
request id, then the list is locked, each decision is handed to
ListAdmin.HandleRequest, the sender filters, bans and moderation flags are
changed, the list is saved and unlocked.  Only requests that were on the
page the moderator saw are touched: a sender's "all these messages"
choice covers the posts whose own choice came back with the form, so a
post that arrived after the page was drawn waits for the next look.

A decision for one post wins over the choice for all of its sender's posts
unless it is Defer; preserve and forward apply if asked for either way.
"""

import email.utils
import re
import traceback

from Mailman import Errors
from Mailman import ListAdmin
from Mailman import Utils
from Mailman import mm_cfg
from Mailman.Cgi.admindb_message import clean
from Mailman.Cgi.admindb_render import quote_sender, unquote_sender
from Mailman.Logging.Syslog import syslog

SENDER_FIELDS = ('senderaction', 'senderpreserve', 'senderforward',
                 'senderforwardto', 'senderfilterp', 'senderfilter',
                 'senderbanp', 'senderclearmodp')
HELD_VALUES = (mm_cfg.DEFER, mm_cfg.APPROVE, mm_cfg.REJECT, mm_cfg.DISCARD)
VALID_VALUES = {
    ListAdmin.HELDMSG: HELD_VALUES,
    ListAdmin.SUBSCRIPTION: HELD_VALUES + (mm_cfg.SUBSCRIBE,),
    ListAdmin.UNSUBSCRIPTION: HELD_VALUES + (mm_cfg.UNSUBSCRIBE,),
}
FILTER_ATTRIBUTES = {
    mm_cfg.ACCEPT: 'accept_these_nonmembers',
    mm_cfg.HOLD: 'hold_these_nonmembers',
    mm_cfg.REJECT: 'reject_these_nonmembers',
    mm_cfg.DISCARD: 'discard_these_nonmembers',
}
VERBS = {mm_cfg.APPROVE: 'Approved', mm_cfg.SUBSCRIBE: 'Approved',
         mm_cfg.UNSUBSCRIBE: 'Approved', mm_cfg.REJECT: 'Rejected',
         mm_cfg.DISCARD: 'Discarded', mm_cfg.DEFER: 'Deferred'}
_ID = re.compile(r'[0-9]{1,12}')


class Outcome:
    """What a submission did (DONE) and what it could not do (ERRORS),
    as plain sentences."""

    def __init__(self):
        self.done = []
        self.errors = []


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def has_actions(request):
    """True if the form asks for any change at all."""
    for key in request.form:
        if _ID.fullmatch(key) or key == 'discardalldefersp' or \
                key.split('-', 1)[0] in SENDER_FIELDS:
            return True
    return False


class Form:
    """The submitted form, read into per-request and per-sender parts."""

    def __init__(self, request):
        self.request = request
        self.values = {}            # request id -> submitted decision text
        self.senders = {}           # sender -> {field: value}
        for key, values in request.form.items():
            if _ID.fullmatch(key):
                self.values[int(key)] = values[0].strip()
                continue
            field, dash, quoted = key.partition('-')
            if dash and field in SENDER_FIELDS:
                sender = unquote_sender(quoted)
                self.senders.setdefault(sender, {})[field] = values[0].strip()
        self.discard_deferred = bool(request.get('discardalldefersp'))

    def get(self, name):
        return self.request.get(name)

    def listed_ids(self, sender):
        """Ids 2.1's summary listed for SENDER in hidden fields named by the
        quoted sender (2.1 scripts send them)."""
        quoted = quote_sender(sender)
        if _ID.fullmatch(quoted):
            return []       # such a name is a request id, not a sender
        return [i for i in map(_int, self.request.form.get(quoted, []))
                if i is not None]


class Decision:
    def __init__(self, value):
        self.value = value
        self.preserve = False
        self.forward_to = None
        self.comment = ''
        self.ban = False


def _bad_addresses(text):
    """The addresses in TEXT that Mailman cannot mail, or ['(none)']
    when there is none at all."""
    pairs = email.utils.getaddresses([text])
    addresses = [address for _name, address in pairs if address]
    if not addresses:
        return [text or '(none)']
    bad = []
    for address in addresses:
        try:
            Utils.ValidateEmail(address)
        except Errors.EmailAddressError:
            bad.append(address)
    return bad


def _held_decisions(mlist, form, outcome):
    """{request id: Decision} for the held posts."""
    held = {}
    for request_id in mlist.GetHeldMessageIds():
        try:
            held[request_id] = mlist.GetRecord(request_id)[1]
        except (KeyError, IndexError, TypeError):
            continue
    # The posts that were on the moderator's page.
    shown = {i for i in form.values if i in held}
    by_sender = {}
    for request_id in sorted(shown):
        by_sender.setdefault(held[request_id], []).append(request_id)
    decisions = {}
    owner = mlist.GetOwnerEmail()
    for sender, fields in form.senders.items():
        ids = set(by_sender.get(sender, []))
        ids.update(i for i in form.listed_ids(sender) if held.get(i) == sender)
        action = _int(fields.get('senderaction', mm_cfg.DEFER))
        if action not in HELD_VALUES:
            outcome.errors.append(f'{clean(sender)}: not a valid action for '
                                  'held messages; nothing was done with them.')
            continue
        for request_id in ids:
            decision = decisions.setdefault(request_id, Decision(action))
            decision.preserve = bool(fields.get('senderpreserve'))
            if fields.get('senderforward'):
                decision.forward_to = fields.get('senderforwardto') or owner
    for request_id in shown:
        value = _int(form.values[request_id])
        if value not in HELD_VALUES:
            outcome.errors.append(f'Held message {request_id}: not a valid '
                                  'decision; it was left alone.')
            decisions.pop(request_id, None)
            continue
        decision = decisions.setdefault(request_id, Decision(value))
        if value != mm_cfg.DEFER:
            decision.value = value
        if form.get(f'preserve-{request_id}'):
            decision.preserve = True
        if form.get(f'forward-{request_id}'):
            decision.forward_to = form.get(f'forward-addr-{request_id}') \
                or owner
        decision.comment = form.get(f'comment-{request_id}')
    for request_id, decision in list(decisions.items()):
        if decision.value == mm_cfg.DEFER and form.discard_deferred:
            decision.value = mm_cfg.DISCARD
        if decision.forward_to is not None:
            bad = _bad_addresses(decision.forward_to)
            if bad:
                outcome.errors.append(
                    f'Held message {request_id}: cannot forward to '
                    f'{", ".join(bad)}; the message was left alone.')
                del decisions[request_id]
    return decisions


def _membership_decisions(mlist, form, outcome):
    decisions = {}
    for rtype, ids in ((ListAdmin.SUBSCRIPTION, mlist.GetSubscriptionIds()),
                       (ListAdmin.UNSUBSCRIPTION,
                        mlist.GetUnsubscriptionIds())):
        for request_id in ids:
            if request_id not in form.values:
                continue
            value = _int(form.values[request_id])
            if value not in VALID_VALUES[rtype]:
                outcome.errors.append(f'Request {request_id}: not a valid '
                                      'decision; it was left alone.')
                continue
            decision = Decision(value)
            decision.comment = form.get(f'comment-{request_id}')
            decision.ban = bool(form.get(f'ban-{request_id}')) and \
                rtype == ListAdmin.SUBSCRIPTION
            decisions[request_id] = decision
    return decisions


def _describe(mlist, request_id):
    """A short text naming request REQUEST_ID, for the report."""
    rtype = mlist.GetRecordType(request_id)
    record = mlist.GetRecord(request_id)
    if rtype == ListAdmin.HELDMSG:
        charset = Utils.GetCharSet(mlist.preferred_language)
        subject = clean(ListAdmin.oneline(clean(record[2]), charset))
        return f'the post "{subject}" from {clean(record[1])}'
    if rtype == ListAdmin.SUBSCRIPTION:
        return f'the subscription request of {clean(record[1])}'
    return f'the unsubscription request of {clean(record)}'


def _handle(mlist, request_id, decision, outcome):
    try:
        what = _describe(mlist, request_id)
    except KeyError:
        outcome.errors.append(f'Request {request_id} was already handled '
                              '(by another moderator, or by its sender).')
        return
    if decision.value == mm_cfg.DEFER and not (decision.preserve or
                                              decision.ban):
        return
    try:
        status = mlist.HandleRequest(
            request_id, decision.value, decision.comment or None,
            preserve=decision.preserve,
            forward=decision.forward_to is not None,
            addr=decision.forward_to, ban=decision.ban or None)
    except KeyError:
        outcome.errors.append(f'Request {request_id} was already handled.')
        return
    except Errors.LostHeldMessage:
        outcome.errors.append(f'The message of {what} is lost.')
        return
    except Errors.MembershipIsBanned:
        outcome.errors.append(f'{what}: the address is banned from this '
                              'list.')
        return
    except Errors.MMAlreadyAMember:
        outcome.errors.append(f'{what}: already a member.')
        return
    except (Errors.MailmanError, ValueError) as error:
        outcome.errors.append(f'{what}: could not be handled ({error}).')
        return
    except Exception:
        syslog('error', '%s: admindb could not handle request %s:\n%s',
               mlist.internal_name(), request_id, traceback.format_exc())
        outcome.errors.append(f'{what}: could not be handled; the error '
                              'log has the details.')
        return
    if status == ListAdmin.LOST:
        outcome.errors.append(f'The message file of {what} was missing; '
                              'the request was removed.')
        return
    done = f'{VERBS.get(decision.value, "Handled")} {what}.'
    if decision.preserve:
        done += '  A copy was kept for the site administrator.'
    if decision.forward_to and decision.value != mm_cfg.DEFER:
        done += f'  Forwarded to {decision.forward_to}.'
    if decision.ban:
        done += '  The address is now banned.'
    outcome.done.append(done)


def _valid_sender(sender, outcome):
    try:
        Utils.ValidateEmail(sender)
    except Errors.EmailAddressError:
        outcome.errors.append(f'{clean(sender)}: bad/invalid email address.')
        return False
    return True


def _sender_settings(mlist, form, outcome):
    """Sender filters, bans and moderation flags asked for per sender."""
    for sender, fields in form.senders.items():
        shown = clean(sender)
        if fields.get('senderfilterp'):
            which = _int(fields.get('senderfilter'))
            if which not in FILTER_ATTRIBUTES:
                outcome.errors.append(f'{shown}: choose which sender filter '
                                      'to add the address to.')
            elif _valid_sender(sender, outcome):
                attribute = FILTER_ATTRIBUTES[which]
                entries = getattr(mlist, attribute)
                if sender.lower() not in [e.lower() for e in entries]:
                    entries.append(sender)
                    syslog('vette', '%s: %s added to %s by a moderator',
                           mlist.internal_name(), Utils.log_safe(sender),
                           attribute)
                outcome.done.append(f'Added {shown} to {attribute}.')
        if fields.get('senderbanp') and _valid_sender(sender, outcome):
            if not Utils.address_is_banned(sender, mlist.ban_list):
                mlist.ban_list.append(sender)
                syslog('vette', '%s: %s banned by a moderator',
                       mlist.internal_name(), Utils.log_safe(sender))
            outcome.done.append(f'Banned {shown} from the list.')
        if fields.get('senderclearmodp'):
            try:
                mlist.setMemberOption(sender, mm_cfg.Moderate, 0)
                outcome.done.append(f'Cleared the moderation flag of '
                                    f'{shown}.')
            except Errors.NotAMemberError:
                outcome.errors.append(f'{shown} is no longer a member.')


def _note_gone(mlist, form, outcome):
    """Say which of the decided requests are no longer pending."""
    pending = set(mlist.GetHeldMessageIds())
    pending.update(mlist.GetSubscriptionIds(), mlist.GetUnsubscriptionIds())
    for request_id in sorted(form.values):
        if request_id not in pending and \
                _int(form.values[request_id]) != mm_cfg.DEFER:
            outcome.errors.append(
                f'Request {request_id} is no longer pending: another '
                'moderator or its sender dealt with it first.')


def carry_out(request, mlist):
    """Do what REQUEST's form asks, under the list lock; an Outcome."""
    form = Form(request)
    outcome = Outcome()
    mlist.Lock()
    try:
        _note_gone(mlist, form, outcome)
        decisions = _held_decisions(mlist, form, outcome)
        decisions.update(_membership_decisions(mlist, form, outcome))
        for request_id in sorted(decisions):
            _handle(mlist, request_id, decisions[request_id], outcome)
        _sender_settings(mlist, form, outcome)
        mlist.Save()
    finally:
        mlist.Unlock()
    return outcome
