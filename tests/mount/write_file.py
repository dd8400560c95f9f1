"""Writes TEXT to PATH as a user's Python would (open, write, close) and prints
the error close() reports, if any: on the mount, the close of a scope's last
file commits it, and a refusal comes back there.

Usage: write_file.py PATH TEXT
"""
import sys
f = open(sys.argv[1], "w")
f.write(sys.argv[2])
try:
    f.close()
except OSError as e:
    print(e.strerror)
