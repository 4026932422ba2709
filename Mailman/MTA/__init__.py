"""Glue to mail transport agents: MTA = 'Manual' or 'Postfix' in mm_cfg."""
