"""Usenet gateway settings of a list."""

from Mailman import mm_cfg


class GatewayManager:
    def InitVars(self):
        self.nntp_host = mm_cfg.DEFAULT_NNTP_HOST
        self.linked_newsgroup = ''
        self.gateway_to_news = 0
        self.gateway_to_mail = 0
        self.news_prefix_subject_too = 1
        self.news_moderation = 0
