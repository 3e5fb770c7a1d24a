#!/usr/bin/env python3
"""Makes core/fonts/NotoSansCJKsc-Regular-subset.otf, the font the certificate PDF uses for
Chinese, Japanese and Korean letters (DejaVu Sans, embedded by the `dejavu` crate, has none).

Source: Noto Sans CJK SC Regular (SIL OFL 1.1), face 2 of NotoSansCJK-Regular.ttc in Debian's
fonts-noto-cjk. Kept: every Han character of GB2312 (6,763, simplified Chinese), Big5 level 1
(5,401, traditional Chinese) and JIS X 0208 (6,355, Japanese), the 2,350 Hangul syllables of
KS X 1001 (Korean), kana, CJK punctuation and full-width forms: 13,113 glyphs, about 2.7 MB.
A name with a character outside them still gets its PDF, which says plainly which characters
it could not show.

    apt-get install fonts-noto-cjk
    python3 -m venv /tmp/ft && /tmp/ft/bin/pip install fonttools==4.55.3
    /tmp/ft/bin/python core/fonts/make-cjk-subset.py
"""
import subprocess
import sys
import tempfile
from pathlib import Path

SOURCE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FACE = 2  # Noto Sans CJK SC
OUTPUT = Path(__file__).with_name("NotoSansCJKsc-Regular-subset.otf")


def characters(codec, leads, trails):
    found = set()
    for lead in leads:
        for trail in trails:
            try:
                text = bytes([lead, trail]).decode(codec)
            except UnicodeDecodeError:
                continue
            if len(text) == 1:
                found.add(ord(text))
    return found


def main():
    wanted = characters("gb2312", range(0xB0, 0xF8), range(0xA1, 0xFF))
    wanted |= characters("big5", range(0xA4, 0xC7), [*range(0x40, 0x7F), *range(0xA1, 0xFF)])
    wanted |= characters("euc_jp", range(0xB0, 0xF5), range(0xA1, 0xFF))
    wanted |= characters("euc_kr", range(0xB0, 0xC9), range(0xA1, 0xFF))
    wanted |= set(range(0x3000, 0x3100)) | set(range(0x31F0, 0x3200)) | set(range(0xFF00, 0xFFF0))
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as unicodes:
        unicodes.write(",".join(f"U+{c:04X}" for c in sorted(wanted)))
        unicodes.flush()
        subprocess.run(
            [sys.executable, "-m", "fontTools.subset", SOURCE, f"--font-number={FACE}",
             f"--unicodes-file={unicodes.name}", f"--output-file={OUTPUT}", "--no-hinting",
             "--layout-features=", "--name-IDs=*", "--name-legacy", "--notdef-outline"],
            check=True,
        )
    print(f"{OUTPUT}: {OUTPUT.stat().st_size} bytes, {len(wanted)} characters asked for")


if __name__ == "__main__":
    main()
