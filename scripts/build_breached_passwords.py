"""Build src/amtsweg/accounts/data/breached-passwords.txt.gz from the password list of the npm
package @zxcvbn-ts/language-common (MIT; ranked by frequency in leaked password sets).

    cd "$(mktemp -d)" && npm pack @zxcvbn-ts/language-common@4.1.3 && tar xzf *.tgz
    python scripts/build_breached_passwords.py package/src/passwords.json

Entries are lower-cased; those shorter than 4 characters are left out (they never decide
anything: passwords have at least 12 characters, and shorter bases are not looked up).
Django's own list of 20,000 common passwords is read from the installed Django at run time.
"""

import gzip
import json
import sys
import unicodedata
from pathlib import Path

TARGET = (Path(__file__).resolve().parents[1] / "src" / "amtsweg" / "accounts" / "data"
          / "breached-passwords.txt.gz")


def main(source: str) -> None:
    words = json.loads(Path(source).read_text(encoding="utf-8"))
    entries = sorted({unicodedata.normalize("NFKC", w).strip().lower() for w in words
                      if isinstance(w, str)} - {""})
    entries = [e for e in entries if len(e) >= 4 and "\n" not in e]
    with gzip.open(TARGET, "wt", encoding="utf-8", compresslevel=9) as fh:
        fh.write("\n".join(entries) + "\n")
    print(f"{len(entries)} entries -> {TARGET} ({TARGET.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1])
