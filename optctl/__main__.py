import sys

from optctl.cli.app import main

sys.exit(main())
