import sys

from roadtrack.cli import main

sys.exit(main())
