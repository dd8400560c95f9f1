"""pytest set-up for the scopefs package's tests: the package from this tree
(tools/python, ahead of any installed copy) and the reference writer beside them."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.normpath(os.path.join(HERE, "..", "..", "tools", "python")), HERE]
