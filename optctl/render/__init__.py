"""Everything optctl prints goes through here: rich for people, JSON for machines."""
