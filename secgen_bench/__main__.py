"""``python -m secgen_bench``: the same CLI as the ``secgen-bench`` script (useful without the script on PATH)."""
import sys

from secgen_bench.cli import main

sys.exit(main())
