"""Archiving options: whether and how posts are kept."""

from Mailman import mm_cfg
from Mailman.Gui.GUIBase import GUIBase, entry, yes_no
from Mailman.i18n import _


class Archive(GUIBase):
    NAME = 'archive'
    TITLE = 'Archiving Options'

    def GetConfigInfo(self, mlist, category, subcat=None):
        if category != self.NAME:
            return None
        return [
            _('Whether the list\'s posts are kept in a web archive, who may '
              'read it, and how it is divided.'),

            entry('archive', mm_cfg.Toggle, yes_no(),
                  _('Keep an archive of the list\'s posts.'),
                  _('When off, new posts are no longer archived; what is '
                    'already in the archive stays.  A poster can keep one '
                    'post out of the archive with an "X-No-Archive: yes" '
                    'header.')),
            entry('archive_private', mm_cfg.Radio,
                  (_('public'), _('private')),
                  _('Who may read the archive.'),
                  _('A public archive is open to anyone on the web; a '
                    'private one only to list members, who log in with '
                    'their address and password.')),
            entry('archive_volume_frequency', mm_cfg.Radio,
                  (_('Yearly'), _('Monthly'), _('Quarterly'), _('Weekly'),
                   _('Daily')),
                  _('How the archive is divided into volumes.'),
                  _('Each volume has its own indexes by thread, date, '
                    'subject and author.  Busy lists do better with shorter '
                    'periods.  A change applies to posts archived from '
                    'then on.')),
        ]
