"""Passwords: the list administrator, moderator and poster passwords.

They are not ordinary settings: the page has its own form (new password
typed twice), the list keeps only hashes, and bin/config_list neither
writes nor reads them.  GetConfigInfo() therefore declares nothing.
"""

from Mailman.Gui.GUIBase import GUIBase

# The list attributes the Passwords page sets, and what each one opens.
PASSWORD_ATTRIBUTES = {
    'password': 'list administrator',
    'mod_password': 'list moderator',
    'post_password': 'list poster',
}


class Passwords(GUIBase):
    NAME = 'passwords'
    TITLE = 'Passwords'

    def GetConfigInfo(self, mlist, category, subcat=None):
        return None
