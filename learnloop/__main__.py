import sys

from learnloop.cli import run

sys.exit(run())
