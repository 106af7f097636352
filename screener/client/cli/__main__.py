import sys

from screener.client.cli import main

sys.exit(main())
