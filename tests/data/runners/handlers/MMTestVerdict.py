"""Test handler: discards, holds or rejects as X-MMTest-Verdict says."""
from Mailman import Errors


def process(mlist, msg, msgdata):
    verdict = (msg.get('x-mmtest-verdict') or '').strip()
    if verdict == 'discard':
        raise Errors.DiscardMessage
    if verdict == 'hold':
        raise Errors.HoldMessage('held by MMTestVerdict')
    if verdict == 'reject':
        raise Errors.RejectMessage('Rejected by MMTestVerdict: no thanks.')
