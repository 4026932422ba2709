"""Digest settings and state of a list (the sending is in Handlers/ToDigest
and cron/senddigests)."""

from Mailman import mm_cfg


class Digester:
    def InitVars(self):
        self.digestable = mm_cfg.DEFAULT_DIGESTABLE
        self.digest_is_default = mm_cfg.DEFAULT_DIGEST_IS_DEFAULT
        self.mime_is_default_digest = mm_cfg.DEFAULT_MIME_IS_DEFAULT_DIGEST
        self.digest_size_threshhold = mm_cfg.DEFAULT_DIGEST_SIZE_THRESHHOLD
        self.digest_send_periodic = mm_cfg.DEFAULT_DIGEST_SEND_PERIODIC
        self.next_post_number = 1
        self.digest_header = mm_cfg.DEFAULT_DIGEST_HEADER
        self.digest_footer = mm_cfg.DEFAULT_DIGEST_FOOTER
        self.digest_volume_frequency = mm_cfg.DEFAULT_DIGEST_VOLUME_FREQUENCY
        # Members who just left digest mode still get the pending digest.
        self.one_last_digest = {}
        self.digest_members = {}
        self.next_digest_number = 1
        self.digest_last_sent_at = 0

    def bump_digest_volume(self):
        """Start a new digest volume: the volume number goes up by one and
        issues are counted from 1 again.  The list must be locked."""
        self.volume += 1
        self.next_digest_number = 1

    def send_digest_now(self):
        """Send the digest of the posts collected so far, if there are any
        (cron/senddigests and the admin page call this; the size trigger
        is in Handlers/ToDigest).  Returns True if a digest was queued.
        The list must be locked; the caller saves it."""
        # Imported here: the digest builder is a pipeline handler, which
        # the list core must not pull in when it is loaded.
        from Mailman.Handlers import ToDigest
        return ToDigest.send_digests(self)
