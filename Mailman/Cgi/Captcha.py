"""A question on the subscribe form that a person answers and a script
does not, with no outside service.

Two kinds:
  * the site's own questions, 2.1's CAPTCHAS setting: {language: [(question,
    answer regexp), ...]}, the 'en' list serving languages without their own;
  * a small sum in words ("What is seven plus four?"), when
    SUBSCRIBE_ARITHMETIC_CAPTCHA is set and CAPTCHAS is not.

Which question was asked travels in a hidden field with a MAC over the
question and the form's subscribe token, so a visitor can neither pick an
easy question nor carry one answer over to another form.
"""

import hashlib
import hmac
import re
import secrets

from Mailman import mm_cfg
from Mailman.Cgi import Page
from Mailman.Cgi.Page import escape

QUESTION_FIELD = 'captcha_idx'
ANSWER_FIELD = 'captcha_answer'
_NUMBERS = ('zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven',
            'eight', 'nine', 'ten')


def _site_questions(lang):
    captchas = getattr(mm_cfg, 'CAPTCHAS', None)
    if not captchas:
        return None
    return captchas.get(lang) or captchas.get('en') or None


def enabled():
    return bool(getattr(mm_cfg, 'CAPTCHAS', None) or
                getattr(mm_cfg, 'SUBSCRIBE_ARITHMETIC_CAPTCHA', False))


def _mac(token, payload):
    message = f'captcha\0{token}\0{payload}'.encode('utf-8')
    return hmac.new(Page.site_secret(), message,
                    hashlib.sha256).hexdigest()[:32]


def _question(lang, payload):
    """(question text, answer regexp) for PAYLOAD, or None."""
    kind, _, rest = payload.partition('-')
    if kind == 'q':
        questions = _site_questions(lang)
        if not questions or not rest.isdigit() or int(rest) >= len(questions):
            return None
        return questions[int(rest)]
    if kind == 'sum':
        a, _, b = rest.partition('.')
        if not (a.isdigit() and b.isdigit()):
            return None
        a, b = int(a), int(b)
        if not (0 <= a <= 10 and 0 <= b <= 10):
            return None
        return (f'What is {_NUMBERS[a]} plus {_NUMBERS[b]}? '
                '(Answer with digits.)', rf'{a + b}')
    return None


def form_fields(lang, token):
    """The HTML of the question for a form carrying subscribe TOKEN, or ''
    when no question is asked."""
    if not enabled() or not token:
        return ''
    questions = _site_questions(lang)
    if questions:
        payload = f'q-{secrets.randbelow(len(questions))}'
    else:
        payload = f'sum-{secrets.randbelow(11)}.{secrets.randbelow(11)}'
    question = _question(lang, payload)[0]
    return (f'<p><label for="{ANSWER_FIELD}">{escape(question)}</label> '
            f'<input type="text" id="{ANSWER_FIELD}" name="{ANSWER_FIELD}" '
            'autocomplete="off" required>'
            f'<input type="hidden" name="{QUESTION_FIELD}" '
            f'value="{escape(payload)}.{_mac(token, payload)}"></p>')


def answered(lang, token, hidden, answer):
    """True when no question is asked, or ANSWER answers the question in
    HIDDEN, which this site made for the form carrying TOKEN."""
    if not enabled():
        return True
    if not (token and hidden and answer):
        return False
    payload, _, mac = hidden.rpartition('.')
    if not hmac.compare_digest(mac.encode('ascii', 'replace'),
                               _mac(token, payload).encode('ascii')):
        return False
    question = _question(lang, payload)
    if question is None:
        return False
    try:
        return re.fullmatch(question[1], answer.strip(), re.IGNORECASE) \
            is not None
    except re.error:
        return False
