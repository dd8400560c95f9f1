"""Prints the named fields of the mount's .scopefs/stats.json, space-separated.

Usage: stats_fields.py MOUNTPOINT FIELD...
"""
import json, sys
stats = json.load(open(sys.argv[1] + "/.scopefs/stats.json"))
print(*(stats[field] for field in sys.argv[2:]))
