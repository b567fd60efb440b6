import sys

from optctl.cli.launch import main

sys.exit(main())
