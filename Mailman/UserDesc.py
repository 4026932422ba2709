"""A would-be member's details, as subscription requests carry them."""


class UserDesc:
    def __init__(self, address=None, fullname=None, password=None,
                 digest=None, lang=None):
        if address is not None:
            self.address = address
        if fullname is not None:
            self.fullname = fullname
        if password is not None:
            self.password = password
        if digest is not None:
            self.digest = digest
        if lang is not None:
            self.language = lang

    def __iadd__(self, other):
        """Fill in what OTHER knows and this one does not."""
        for name in ('address', 'fullname', 'password', 'digest', 'language'):
            if getattr(other, name, None) is not None:
                setattr(self, name, getattr(other, name))
        return self

    def __repr__(self):
        digest = getattr(self, 'digest', None)
        digest = 'digest' if digest else ('regular' if digest is not None
                                          else 'n/a')
        return '<UserDesc {} ({}) [{}] [{}]>'.format(
            getattr(self, 'address', 'n/a'), getattr(self, 'fullname', 'n/a'),
            digest, getattr(self, 'language', 'n/a'))
