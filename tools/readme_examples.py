"""Print the README's example section: each gallery question, its SPARQL, its real output.

Run from the repository after a change to kg/examples.py or the data, and paste the
output into README.md between the example markers:

    python tools/readme_examples.py > /tmp/examples.md

Further arguments go to ``exokg query`` (e.g. ``--store DIR``).
"""

from __future__ import annotations

import subprocess
import sys

from exokg.examples import EXAMPLES


def main(query_args: list[str]) -> int:
    for example in EXAMPLES:
        if example.kind != "SELECT":
            continue
        result = subprocess.run([sys.executable, "-m", "exokg", "query", example.sparql,
                                 "--format", "table", *query_args], capture_output=True, text=True,
                                check=True)
        sys.stdout.write(f"### {example.title}\n\n{example.question}\n\n"
                         f"```sparql\n{example.body.strip()}\n```\n\n"
                         f"```text\n{result.stdout.rstrip()}\n```\n\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
