# Python 2.7 script: writes queue files the way Mailman 2.1's Switchboard
# did (message pickled with protocol 1 as a Mailman.Message.Message object,
# or with protocol 0 as the raw text; then the metadata with protocol 1),
# for tests/integration/test_runners.py.  Run from this directory with
#     /root/.pyenv/versions/2.7.18/bin/python make_py21_qfiles.py
# It defines a stand-in Mailman.Message module so that the pickled class
# path is the one 2.1 wrote.
import cPickle
import email
import email.message
import os
import sys
import tempfile
import types

package = types.ModuleType('Mailman')
package.__path__ = []
module = types.ModuleType('Mailman.Message')


class Message(email.message.Message):
    pass


Message.__module__ = 'Mailman.Message'
module.Message = Message
package.Message = module
sys.modules['Mailman'] = package
sys.modules['Mailman.Message'] = module

TEXT = ('From: old-site@example.com\n'
        'To: rt-py21@lists.example.com\n'
        'Subject: written by Mailman 2.1 (%s)\n'
        'Message-ID: <py21-%s@example.com>\n'
        '\n'
        'Caf\xe9 body line\n')
WHICHQ = '/usr/local/mailman/qfiles/in'


def write(name, msg, protocol, parsemsg):
    data = {'listname': 'rt-py21', 'tolist': 1, '_parsemsg': parsemsg,
            'version': 3, 'received_time': 1234567890.5, 'whichq': WHICHQ}
    fp = open(name, 'wb')
    cPickle.dump(msg, fp, protocol)
    cPickle.dump(data, fp, 1)
    fp.close()


msg = email.message_from_string(TEXT % ('object', 'object'), Message)
write('py21-object.pck', msg, 1, True)
write('py21-plaintext.pck', TEXT % ('plaintext', 'plaintext'), 0, False)
