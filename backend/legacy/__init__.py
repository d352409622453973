"""The move from the old web product (VLA): its export import and "moved" answers."""
