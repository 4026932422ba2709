"""Language options: the list's languages and how prefixes are encoded."""

from Mailman import Utils
from Mailman import mm_cfg
from Mailman.Gui.GUIBase import GUIBase, entry
from Mailman.i18n import _


class Language(GUIBase):
    NAME = 'language'
    TITLE = 'Language options'

    def GetConfigInfo(self, mlist, category, subcat=None):
        if category != self.NAME:
            return None
        available = mlist.GetAvailableLanguages()
        try:
            selected = available.index(mlist.preferred_language)
        except ValueError:
            selected = 0
        known = sorted(mm_cfg.LC_DESCRIPTIONS)
        return [
            _('The languages of the list\'s pages and of the mail Mailman '
              'writes for it.'),

            entry('preferred_language', mm_cfg.Select,
                  (available,
                   [_(Utils.GetLanguageDescr(code)) for code in available],
                   selected),
                  _('The list\'s default language.'),
                  _('Pages and notices are in this language unless a member '
                    'has chosen another of the available languages.  It '
                    'must be one of the available languages.')),
            entry('available_languages', mm_cfg.Checkbox,
                  ([_(Utils.GetLanguageDescr(code)) for code in known],
                   [code in mlist.available_languages for code in known],
                   0,
                   known),
                  _('The languages members may choose from.'),
                  _('Members see the list\'s pages and receive its notices '
                    'in the language they pick among these.  The preferred '
                    'language is always one of them.  In a config_list file '
                    'give the language codes, for example [\'en\', '
                    '\'de\'].')),
            entry('encode_ascii_prefixes', mm_cfg.Radio,
                  (_('Never'), _('Always'), _('As needed')),
                  _('When to encode a plain ASCII subject prefix.'),
                  _('When the rest of a subject is encoded for a non-ASCII '
                    'character set, some mail programs show an unencoded '
                    'prefix badly.  "Always" encodes the prefix too; "As '
                    'needed" encodes it only when the subject itself is '
                    'encoded; "Never" leaves it as it is, which is fine for '
                    'lists in English.')),
        ]
