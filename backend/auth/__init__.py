"""Sign-in: users, password hashing, session tokens and role guards."""
