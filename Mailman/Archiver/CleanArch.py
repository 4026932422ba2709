"""Repairing an mbox whose message bodies hold unquoted "From " lines.

Such a line splits a message in two for every mbox reader.  A "From " line
is kept as a separator only when it looks like a Unix From_ line (sender,
then an asctime-style date) and the next line looks like a header;
anything else gets a '>' in front.
"""

import re

_UNIX_FROM = re.compile(
    rb'^From \s*\S+\s+\w\w\w\s+\w\w\w\s+\d?\d\s+\d?\d:\d\d(:\d\d)?'
    rb'(\s+\S+)?\s+\d\d\d\d\s*$')
_HEADER = re.compile(rb'^[\x21-\x39\x3b-\x7e]+:')


def clean(infile, outfile=None, quiet=False, status=False, err=None):
    """Copy the mbox INFILE (binary) to OUTFILE (binary, None for a dry
    run), quoting stray "From " lines.  Each quoted line is reported on
    ERR unless QUIET; with STATUS a '#' goes to ERR every 100 lines.
    Returns how many lines were quoted."""
    changed = 0
    lineno = 0
    pending = infile.readline()
    while pending:
        line = pending
        pending = infile.readline()
        lineno += 1
        if line.startswith(b'From '):
            separator = _UNIX_FROM.match(line.rstrip(b'\r\n')) and \
                (not pending or _HEADER.match(pending))
            if not separator:
                changed += 1
                if not quiet and err is not None:
                    err.write('Unix-From line changed: %d\n%s\n' % (
                        lineno, line.decode('latin-1').rstrip()))
                line = b'>' + line
        if outfile is not None:
            outfile.write(line)
        if status and err is not None and lineno % 100 == 0:
            err.write('#')
            err.flush()
    if status and err is not None:
        err.write('\n')
    return changed
