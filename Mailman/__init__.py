"""GNU Mailman 2.1, on Python 3."""
