import os

# Tests run with the immediate task backend, MD5 hashing and plain static storage (settings.py).
os.environ.setdefault("KURASHI_TESTING", "1")
