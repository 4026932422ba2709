"""Handle the subscribe form of the list information page."""

from Mailman import Errors
from Mailman import HTMLFormatter
from Mailman import Passwords
from Mailman import mm_cfg
from Mailman.Cgi import Captcha
from Mailman.Cgi import Page
from Mailman.Cgi.Page import escape
from Mailman.UserDesc import UserDesc

# Subscribe POSTs allowed per client address per minute.
DEFAULT_RATE_LIMIT = 5

TOKEN_MESSAGES = {
    Page.SUB_TOKEN_MISSING:
        'The form you sent did not come from this list\'s information page. '
        'Please use the form on that page.',
    Page.SUB_TOKEN_BAD:
        'The form you sent was not produced by this site for you.  '
        'Please reload the list\'s information page and try again.',
    Page.SUB_TOKEN_EXPIRED:
        'The form you sent is too old.  Please reload the list\'s '
        'information page and try again.',
    Page.SUB_TOKEN_TOO_FAST:
        'The form was sent back too quickly after it was shown.  Please '
        'wait a few seconds and send it again.',
}


def _answer(stdout, mlist, lang, paragraphs, status='200 OK'):
    results = '\n'.join(f'<p>{escape(text)}</p>' for text in paragraphs)
    ctx = HTMLFormatter.Context(mlist, lang=lang, results=results)
    Page.respond(stdout, HTMLFormatter.render('subscribe.html', ctx),
                 status=status)


def _neutral(mlist, address):
    return [f'Your subscription request for {address} has been received and '
            'will soon be acted upon.  Depending on the settings of '
            f'{mlist.real_name}, it may need your confirmation or the '
            'approval of a list moderator.  If a confirmation is needed, you '
            'will soon receive an email with further instructions.']


def _privacy_alert(mlist, address, remote):
    """Tell a member that someone tried to subscribe them again: it may
    have been a probe of the (private) membership."""
    from Mailman.Message import UserNotification
    member = mlist.getMemberCPAddress(address)
    text = (f'Someone (web client {remote or "unknown"}) asked to subscribe '
            f'your address, {member}, to the mailing list '
            f'{mlist.GetListEmail()}.\n\n'
            'You are already a member, so nothing was changed.  The answer '
            'that visitor saw did not say whether you are a member.\n\n'
            'If this was not you, you need not do anything.  If such '
            'messages keep coming, please tell the list owners at '
            f'{mlist.GetOwnerEmail()}.\n')
    msg = UserNotification(member, mlist.GetBouncesEmail(),
                           'Mailman privacy alert', text,
                           mlist.getMemberLanguage(address))
    msg.send(mlist)


def subscribe(request, stdout, mlist):
    listname = mlist.internal_name()
    lang = request.get('language') or mlist.preferred_language
    if lang not in mlist.GetAvailableLanguages():
        lang = mlist.preferred_language

    def answer(*paragraphs, status='200 OK'):
        _answer(stdout, mlist, lang, paragraphs, status)

    if request.method != 'POST':
        answer('Please subscribe with the form on the list\'s information '
               'page.', status='405 Method Not Allowed')
        return
    limit = getattr(mm_cfg, 'WEB_SUBSCRIBE_RATE_LIMIT', DEFAULT_RATE_LIMIT)
    if Page.rate_limited('subscribe', request.remote, limit):
        answer('Too many subscription requests came from your address in '
               'the last minute.  Please try again later.',
               status='429 Too Many Requests')
        return
    verdict = Page.check_subscribe_token(request.get('sub_form_token'),
                                         listname, request.remote)
    if verdict != Page.SUB_TOKEN_OK:
        answer(TOKEN_MESSAGES[verdict])
        return
    if not Captcha.answered(lang, request.get('sub_form_token'),
                            request.get(Captcha.QUESTION_FIELD),
                            request.get(Captcha.ANSWER_FIELD)):
        answer('The answer to the question on the form was wrong.  Please '
               'go back, reload the page and try again.')
        return
    address = request.get('email')
    fullname = request.get('fullname')
    password = request.form.get('pw', [''])[0]
    confirm = request.form.get('pw-conf', [''])[0]
    if not address:
        answer('You must give your email address.')
        return
    address_limit = getattr(mm_cfg, 'WEB_SUBSCRIBE_ADDRESS_LIMIT', 3)
    if Page.rate_limited('subscribe-address', address.lower(),
                         address_limit, window=3600):
        answer('Too many subscription requests were made for this address '
               'in the last hour.  Please try again later.',
               status='429 Too Many Requests')
        return
    if password != confirm:
        answer('The two passwords you typed differ.  Please try again.')
        return
    if len(password) > Passwords.MAX_LENGTH:
        answer(f'The password may have at most {Passwords.MAX_LENGTH} '
               'characters.  Please try again.')
        return
    digest_field = request.get('digest')
    digest = None if digest_field == '' else digest_field == '1'
    userdesc = UserDesc(address, fullname, password or None, digest, lang)
    private = bool(getattr(mlist, 'private_roster', 0))
    # Everything that could tell a member from a stranger gets the same
    # answer when the roster is private.
    mlist.Lock()
    try:
        try:
            mlist.AddMember(userdesc, remote=request.remote)
            outcome = 'subscribed'
        except Errors.MMSubscribeNeedsConfirmation:
            outcome = 'confirm'
        except Errors.MMNeedApproval:
            outcome = 'approval'
        except Errors.MMAlreadyAMember:
            outcome = 'member'
        except Errors.MMAlreadyPending:
            outcome = 'pending'
        except Errors.MembershipIsBanned:
            outcome = 'banned'
        except (Errors.MMBadEmailError, Errors.MMHostileAddress):
            outcome = 'bad-address'
        except Errors.CantDigestError:
            outcome = 'no-digest'
        except Errors.MustDigestError:
            outcome = 'must-digest'
        mlist.Save()
    finally:
        mlist.Unlock()
    if private and outcome in ('subscribed', 'confirm', 'approval', 'member',
                               'pending'):
        if outcome == 'member' and mm_cfg.WARN_MEMBER_OF_SUBSCRIBE:
            _privacy_alert(mlist, address, request.remote)
        answer(*_neutral(mlist, address))
        return
    texts = {
        'subscribed': f'You have been subscribed to {mlist.real_name}.',
        'confirm': 'Your subscription request has been received.  You will '
                   'soon get an email asking you to confirm it; follow the '
                   'instructions in that email to join the list.',
        'approval': 'Your subscription request has been sent to the list '
                    'moderators, who must approve it.  You will be told by '
                    'email of their decision.',
        'member': f'{address} is already a member of {mlist.real_name}.',
        'pending': 'A subscription request for this address is already '
                   'waiting for confirmation.',
        'banned': 'The email address you gave may not subscribe to this '
                  'list.  If you think this is wrong, write to '
                  f'{mlist.GetOwnerEmail()}.',
        'bad-address': 'The email address you gave is not valid.  Please '
                       'check it and try again.',
        'no-digest': 'This list does not offer digests.',
        'must-digest': 'This list is available only as a digest.',
    }
    answer(texts[outcome])


def main(environ, stdout):
    request, mlist = Page.request_and_list(environ, stdout)
    if mlist is None:
        return
    subscribe(request, stdout, mlist)
