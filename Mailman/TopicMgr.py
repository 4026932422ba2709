"""Topic filters of a list: members choose the topics they receive."""


class TopicMgr:
    def InitVars(self):
        # [(name, pattern, description, emptyflag), ...]
        self.topics = []
        self.topics_enabled = 0
        self.topics_bodylines_limit = 5
        # member key -> [topic names]
        self.topics_userinterest = {}
