#! @PYTHON@
"""Export lists' settings and members as XML.

    export.py [-o FILE] [-p SCHEME] [-P] [-l LIST ...]

Writes every list (or each list given with -l, which may be repeated) to
FILE, or to standard output when FILE is - or not given, in the XML form of
2.1's export.py: a <list> per list with its <configuration> (one <option>
per admin setting) and its <roster> (one <member> per address, with name,
password, language, delivery, options and topics).

Passwords are kept as salted hashes, so they cannot be written in clear
text or as SHA digests as 2.1 could.  The schemes are NONE (the default:
every password, the list's and the members', is written {NONE}) and HASH
(the stored hash, in passlib's modular crypt form such as
$pbkdf2-sha256$...).  -P lists them.

A file given with -o appears whole or not at all, readable by its owner
only (it may hold password hashes).
"""

import sys

import paths  # noqa: F401  (puts the installed Mailman on sys.path)
from Mailman import Cli
from Mailman import ListExport
from Mailman import Utils

PROGRAM = 'export.py'


def parse_args(argv=None):
    parser = Cli.ArgumentParser(PROGRAM, __doc__)
    parser.add_argument('-o', '--outputfile', metavar='FILE',
                        help='write to FILE (default, or -: standard output)')
    parser.add_argument('-p', '--password-scheme', metavar='SCHEME',
                        default='none',
                        help='how to write member passwords (see -P)')
    parser.add_argument('-P', '--list-hash-schemes', action='store_true',
                        help='list the password schemes and exit')
    parser.add_argument('-l', '--listname', action='append', default=[],
                        metavar='LIST', dest='listnames',
                        help='export LIST (repeatable; default: every list)')
    options = parser.parse_args(argv)
    options.scheme = scheme = options.password_scheme.lower()
    if scheme not in ListExport.PASSWORD_SCHEMES and \
            not options.list_hash_schemes:
        if scheme in ('plain', 'sha', 'ssha'):
            parser.error(f'password scheme {options.password_scheme} needs '
                         'clear-text passwords, which are never kept; '
                         'use NONE or HASH')
        parser.error(f'unknown password scheme: {options.password_scheme}')
    return options


def main():
    options = parse_args()
    if options.list_hash_schemes:
        for name in ListExport.PASSWORD_SCHEMES:
            print(name.upper())
        return 0
    names = {name.lower().strip() for name in options.listnames}
    mlists = [Cli.open_list(name, lock=False)
              for name in sorted(names or Utils.list_names())]
    scheme = ListExport.PASSWORD_SCHEMES[options.scheme]
    data = ListExport.to_bytes(ListExport.document(mlists, scheme))
    if options.outputfile in (None, '-'):
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    try:
        # Owner only: the file may hold password hashes.
        Utils.write_file_atomically(options.outputfile, data, mode=0o600)
    except OSError as error:
        raise Cli.CommandError(
            f'cannot write {options.outputfile}: {error.strerror}') from None
    return 0


if __name__ == '__main__':
    sys.exit(Cli.run(main, PROGRAM))
