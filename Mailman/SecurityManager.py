"""Who may do what to a list: passwords and authentication contexts.

The list administrator, moderator and poster passwords are salted hashes
(2.1 kept unsalted SHA-1 digests, which still verify once and are then
replaced).  Authenticate() answers which of the asked-for roles a password
opens.  Web cookies are added with the web pages.
"""

from Mailman import Passwords
from Mailman import Utils
from Mailman import mm_cfg


class SecurityManager:
    def InitVars(self):
        self.mod_password = None
        self.post_password = None
        self.passwords = {}

    def _check_list_password(self, attribute, response):
        """Verify RESPONSE against the hash in ATTRIBUTE; upgrade the hash
        when it is in an outdated form."""
        stored = getattr(self, attribute, None)
        ok, replacement = Passwords.verify(response, stored)
        if ok and replacement:
            self._store_upgraded_password(attribute, replacement)
        return ok

    def _store_upgraded_password(self, attribute, replacement):
        locked_here = False
        try:
            if not self.Locked():
                self.Lock()
                locked_here = True
            setattr(self, attribute, replacement)
            self.Save()
        except Exception:
            # The login itself is valid; the upgrade waits for next time.
            pass
        finally:
            if locked_here:
                self.Unlock()

    def Authenticate(self, authcontexts, response, user=None):
        """Return the first context of AUTHCONTEXTS that RESPONSE opens, or
        mm_cfg.UnAuthorized.  USER names the member for AuthUser."""
        if not response:
            return mm_cfg.UnAuthorized
        for context in authcontexts:
            if context == mm_cfg.AuthCreator:
                if Utils.check_global_password(response, siteadmin=False):
                    return context
            elif context == mm_cfg.AuthSiteAdmin:
                if Utils.check_global_password(response):
                    return context
            elif context == mm_cfg.AuthListAdmin:
                if self._check_list_password('password', response):
                    return context
            elif context == mm_cfg.AuthListModerator:
                if self.mod_password and \
                        self._check_list_password('mod_password', response):
                    return context
            elif context == mm_cfg.AuthListPoster:
                if self.post_password and \
                        self._check_list_password('post_password', response):
                    return context
            elif context == mm_cfg.AuthUser:
                if user is not None and self.isMember(user) and \
                        self.authenticateMember(user, response):
                    return context
        return mm_cfg.UnAuthorized
