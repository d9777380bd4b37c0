import sys

from finops.cli.app import main

sys.exit(main())
