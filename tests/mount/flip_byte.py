"""Flips one bit of the byte in the middle of FILE, in place.

Usage: flip_byte.py FILE
"""
import os, sys
path = sys.argv[1]
at = os.path.getsize(path) // 2
with open(path, "r+b") as f:
    f.seek(at); b = f.read(1); f.seek(at); f.write(bytes([b[0] ^ 0x01]))
