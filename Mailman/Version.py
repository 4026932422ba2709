"""Mailman's version, in the forms 2.1 sites and tools read."""

VERSION = '2.2.0a1'

# The numeric form: 0xMMmmuurs (major, minor, micro, release level, serial).
MAJOR_REV = 2
MINOR_REV = 2
MICRO_REV = 0
ALPHA = 0xa
BETA = 0xb
GAMMA = 0xc
FINAL = 0xf
REL_LEVEL = ALPHA
REL_SERIAL = 1

HEX_VERSION = ((MAJOR_REV << 24) | (MINOR_REV << 16) | (MICRO_REV << 8)
               | (REL_LEVEL << 4) | (REL_SERIAL << 0))

# Version of the list state in config.pck.  2.1.39 wrote 112; 113 marks the
# state of this release: member passwords hashed, text in str, not bytes.
DATA_FILE_VERSION = 113

# Versions of the other pickled files, as 2.1 numbered them.
REQUESTS_FILE_VERSION = 1
PENDING_FILE_SCHEMA_VERSION = 2
QFILE_SCHEMA_VERSION = 3
