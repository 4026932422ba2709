"""Confirm (or cancel) what a mailed cookie is pending for.

GET /confirm/<list>/<cookie> shows the request and a button; the POST that
button sends carries a token (an HMAC of the cookie under the site secret),
so that another site cannot make a visitor's browser confirm a cookie it
happened to learn.
"""

from Mailman import Errors
from Mailman import Pending
from Mailman.Cgi import Page
from Mailman.Cgi.Page import escape
from Mailman.UserDesc import UserDesc

OP_NAMES = {
    Pending.SUBSCRIPTION: 'subscription',
    Pending.UNSUBSCRIPTION: 'unsubscription',
    Pending.CHANGE_OF_ADDRESS: 'change of address',
    Pending.HELD_MESSAGE: 'withdrawal of a held message',
    Pending.RE_ENABLE: 're-enabling of delivery',
}


def _page(stdout, mlist, title, body_html, status='200 OK'):
    name = escape(mlist.real_name)
    home = escape(mlist.GetScriptURL('listinfo', absolute=1))
    body = (f'<h1>{name}: {escape(title)}</h1>\n{body_html}\n'
            f'<hr><p><a href="{home}">{name} list information page</a></p>')
    Page.respond(stdout, Page.document(f'{mlist.real_name}: {title}', body),
                 status=status)


def _message(stdout, mlist, title, text, status='200 OK'):
    _page(stdout, mlist, title, f'<p>{escape(text)}</p>', status)


def _describe(mlist, record):
    """(title, HTML text) for the pending RECORD."""
    op, data = record[0], record[1:]
    listname = escape(mlist.real_name)
    if op == Pending.SUBSCRIPTION:
        userdesc = data[0]
        address = escape(getattr(userdesc, 'address', ''))
        if getattr(userdesc, 'invitation', None):
            return ('Confirm an invitation',
                    f'<p>{address} has been invited to join {listname}.  '
                    'Press the button to accept the invitation.</p>')
        name = getattr(userdesc, 'fullname', '') or ''
        who = f'{address} ({escape(name)})' if name else address
        return ('Confirm a subscription',
                f'<p>Please confirm the subscription of {who} to '
                f'{listname}.</p>')
    if op == Pending.UNSUBSCRIPTION:
        return ('Confirm leaving the list',
                f'<p>Please confirm that {escape(data[0])} should leave '
                f'{listname}.</p>')
    if op == Pending.CHANGE_OF_ADDRESS:
        return ('Confirm a change of address',
                f'<p>Please confirm that the address {escape(data[0])} on '
                f'{listname} should change to {escape(data[1])}.</p>')
    if op == Pending.HELD_MESSAGE:
        return ('Withdraw a held message',
                '<p>Your message is waiting for a moderator.  Press the '
                'button to withdraw it; it will then be discarded.</p>')
    if op == Pending.RE_ENABLE:
        address = data[1] if len(data) > 1 else data[0]
        return ('Re-enable delivery',
                f'<p>Please confirm that mail to {escape(address)} from '
                f'{listname} should start again.</p>')
    return None


def _peek(mlist, cookie):
    mlist.Lock()
    try:
        return mlist.pend_confirm(cookie, expunge=False)
    finally:
        mlist.Unlock()


def show(request, stdout, mlist, cookie):
    record = _peek(mlist, cookie) if Pending.valid_cookie(cookie) else None
    if not record:
        _message(stdout, mlist, 'Invalid confirmation',
                 'This confirmation string is not valid: it may have '
                 'expired, been used already, or been mistyped.',
                 status='404 Not Found')
        return
    if record[0] == Pending.PASSWORD_RESET:
        # The new password is chosen on the options page.
        url = mlist.GetScriptURL('options', absolute=1) + '?reset=' + cookie
        Page.respond(stdout, Page.document(
            'Choose a new password', '<h1>Choose a new password</h1>'
            f'<p><a href="{escape(url)}">Continue</a></p>'),
            status='303 See Other', extra_headers=[f'Location: {url}'])
        return
    described = _describe(mlist, record)
    if described is None:
        _message(stdout, mlist, 'Not confirmable here',
                 'This request cannot be confirmed on this page.')
        return
    title, text = described
    action = escape(mlist.GetScriptURL('confirm', absolute=1) + '/' + cookie)
    token = escape(Page.confirm_token(mlist.internal_name(), cookie))
    buttons = '<input type="submit" name="submit" value="Confirm">'
    if record[0] == Pending.SUBSCRIPTION:
        buttons += (' <input type="submit" name="cancel" '
                    'value="Cancel my request">')
    form = (f'<form method="post" action="{action}" accept-charset="utf-8">'
            f'<input type="hidden" name="cookie" value="{escape(cookie)}">'
            f'<input type="hidden" name="confirm_token" value="{token}">'
            f'<p>{buttons}</p></form>')
    _page(stdout, mlist, title, text + form)


def carry_out(request, stdout, mlist, cookie):
    if not Page.check_confirm_token(mlist.internal_name(), cookie,
                                    request.get('confirm_token')):
        _message(stdout, mlist, 'Form not accepted',
                 'The confirmation form was not produced by this site.  '
                 'Please open the link from your email again.',
                 status='403 Forbidden')
        return
    mlist.Lock()
    try:
        if request.has('cancel'):
            record = mlist.pend_confirm(cookie, expunge=False)
            if record and record[0] == Pending.SUBSCRIPTION:
                mlist.pend_confirm(cookie, expunge=True)
                mlist.Save()
                _message(stdout, mlist, 'Request cancelled',
                         'The subscription request has been cancelled.')
            else:
                _message(stdout, mlist, 'Invalid confirmation',
                         'There is no subscription request to cancel.')
            return
        try:
            result = mlist.ProcessConfirmation(cookie, UserDesc())
        except Errors.MMBadConfirmation:
            _message(stdout, mlist, 'Invalid confirmation',
                     'This confirmation string is not valid: it may have '
                     'expired, been used already, or been mistyped.',
                     status='404 Not Found')
            return
        except Errors.MMNeedApproval:
            mlist.Save()
            _message(stdout, mlist, 'Awaiting moderator approval',
                     'Thank you.  The request now waits for a list '
                     'moderator\'s approval; you will be told of the '
                     'decision by email.')
            return
        except Errors.MMAlreadyAMember:
            mlist.Save()
            _message(stdout, mlist, 'Already a member',
                     'This address is already a member of the list.')
            return
        except Errors.NotAMemberError:
            mlist.Save()
            _message(stdout, mlist, 'Not a member',
                     'This address is no longer a member of the list.')
            return
        except (Errors.MembershipIsBanned, Errors.HostileSubscriptionError):
            mlist.Save()
            _message(stdout, mlist, 'Not allowed',
                     'This address may not join the list.')
            return
        except (Errors.MMBadPasswordError, Errors.PasswordError):
            _message(stdout, mlist, 'Not confirmable here',
                     'This request cannot be confirmed on this page.')
            return
        mlist.Save()
    finally:
        mlist.Unlock()
    _message(stdout, mlist, 'Confirmed', _done_text(mlist, result))


def _done_text(mlist, result):
    """What to tell the visitor once ProcessConfirmation() gave RESULT,
    whose first item is the kind of request and whose length varies."""
    op, who = result[0], (result[1] if len(result) > 1 else '')
    if op == Pending.SUBSCRIPTION:
        return f'{who} is now subscribed to {mlist.real_name}.'
    if op == Pending.UNSUBSCRIPTION:
        return f'{who} has left {mlist.real_name}.'
    return {
        Pending.CHANGE_OF_ADDRESS: 'The address has been changed.',
        Pending.HELD_MESSAGE: 'Your held message has been withdrawn.',
        Pending.RE_ENABLE: 'Delivery has been re-enabled.',
    }.get(op, 'Your request has been carried out.')


def main(environ, stdout):
    request, mlist = Page.request_and_list(environ, stdout)
    if mlist is None:
        return
    cookie = (request.rest[0] if request.rest else request.get('cookie'))
    cookie = cookie.strip().lower()
    if not cookie:
        _message(stdout, mlist, 'Confirmation',
                 'Open the link from your confirmation email to confirm '
                 'a request.')
        return
    if request.method == 'POST':
        if not Pending.valid_cookie(cookie):
            _message(stdout, mlist, 'Invalid confirmation',
                     'This confirmation string is not valid.',
                     status='404 Not Found')
            return
        carry_out(request, stdout, mlist, cookie)
    else:
        show(request, stdout, mlist, cookie)
