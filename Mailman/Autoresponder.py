"""Automatic replies to posts and to mail for -owner and -request."""




class Autoresponder:
    def InitVars(self):
        self.autorespond_postings = 0
        self.autorespond_admin = 0
        # 0 no, 1 answer and discard (2.1's "Yes, w/discard"), 2 answer and
        # forward.
        self.autorespond_requests = 0
        self.autoresponse_postings_text = ''
        self.autoresponse_admin_text = ''
        self.autoresponse_request_text = ''
        self.autoresponse_graceperiod = 90      # days
        # address -> time until which that address gets no more replies
        self.postings_responses = {}
        self.admin_responses = {}
        self.request_responses = {}
