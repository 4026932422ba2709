"""Membership management: the roster and the mass subscribe, remove, change
and sync pages.  These are pages of their own, not settings, so
GetConfigInfo() declares nothing."""

from Mailman.Gui.GUIBase import GUIBase


class Membership(GUIBase):
    NAME = 'members'
    TITLE = 'Membership Management...'
    SUBCATEGORIES = [
        ('list', 'Membership List'),
        ('add', 'Mass Subscription'),
        ('remove', 'Mass Removal'),
        ('change', 'Address Change'),
        ('sync', 'Sync Membership List'),
    ]

    def GetConfigInfo(self, mlist, category, subcat=None):
        return None
