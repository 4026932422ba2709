"""The pipeline handlers: one module per step, each with process(mlist, msg, msgdata)."""
