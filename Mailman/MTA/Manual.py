"""MTA = 'Manual': Mailman changes no MTA files; the admin adds aliases by
hand.  Creating and removing lists print what to add or remove (step 2)."""
