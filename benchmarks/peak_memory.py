"""Peak resident memory of one ``scan``, in an interpreter that has done nothing else.

    python benchmarks/peak_memory.py ROOT             # prints the peak of scan(ROOT, jobs=1), in KiB
    python benchmarks/peak_memory.py --imports-only   # the same interpreter after the imports alone

Linux carries ``ru_maxrss`` across ``exec``: a process started by a large one
(the benchmark, after its timings) reports its parent's peak, not its own. So
this script, started while still small, starts the measuring interpreter
itself, whose ``ru_maxrss`` is then its own. ``jobs=1`` keeps all the work in
that one process.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

_MEASURE = "--measure"


def _measure(root: str | None) -> None:
    # Imported here, not at the top: the launching interpreter must stay small.
    from bedrock2openrouter.config import Settings
    from bedrock2openrouter.engine import scan

    if root is not None:
        scan(Path(root), Settings(jobs=1))
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def main() -> None:
    arguments = sys.argv[1:]
    if arguments[:1] == [_MEASURE]:
        _measure(arguments[1] if len(arguments) > 1 else None)
        return
    if len(arguments) != 1:
        sys.exit(__doc__)
    root = [] if arguments == ["--imports-only"] else arguments
    sys.exit(subprocess.run([sys.executable, __file__, _MEASURE, *root], check=False).returncode)


if __name__ == "__main__":
    main()
