import sys

from learnloop.cli import main

sys.exit(main())
