"""Pipermail, the list archive.  The list mixin is Archiver.Archiver."""
