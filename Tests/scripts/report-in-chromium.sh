#!/bin/sh
# Renders a lipsweep HTML report in headless Chromium with the network off and checks that
# the browser built every SVG plot with drawn content, and that the page is not blank.
#   Tests/scripts/report-in-chromium.sh results/report.html [MIN_SVGS]
# Needs Debian's chromium (apt-get install -y chromium). Exit 0 when the report is fine.
set -eu
report=$(realpath "$1")
min_svgs=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "report-in-chromium: chromium not found (apt-get install -y chromium)" >&2; exit 3; }
# A proxy that does not exist: any attempt to fetch from the network fails the render.
flags="--headless --no-sandbox --disable-gpu --proxy-server=127.0.0.1:9 --hide-scrollbars"
"$browser" $flags --dump-dom "file://$report" > "$work/dom.html" 2>/dev/null
"$browser" $flags --window-size=1400,2400 --screenshot="$work/page.png" "file://$report" >/dev/null 2>&1
python3 - "$work/dom.html" "$work/page.png" "$min_svgs" <<'PY'
import re, struct, sys, zlib
dom = open(sys.argv[1], encoding="utf-8").read()
svgs = re.findall(r"<svg\b.*?</svg>", dom, flags=re.S)
need = int(sys.argv[3])
problems = []
if len(svgs) < need:
    problems.append(f"{len(svgs)} SVG plots in the rendered DOM, expected at least {need}")
for i, svg in enumerate(svgs):
    marks = len(re.findall(r"<(path|circle)\b", svg))
    if marks == 0:
        problems.append(f"SVG {i} has no path or circle: empty plot")
# The screenshot must not be blank: decode the PNG's pixel rows and count distinct bytes.
png = open(sys.argv[2], "rb").read()
assert png[:8] == b"\x89PNG\r\n\x1a\n", "screenshot is not a PNG"
pos, idat = 8, b""
while pos < len(png):
    length, kind = struct.unpack(">I4s", png[pos:pos + 8])
    if kind == b"IDAT":
        idat += png[pos + 8:pos + 8 + length]
    pos += 12 + length
pixels = zlib.decompress(idat)
if len(set(pixels)) < 16:
    problems.append("the screenshot is (nearly) blank")
if problems:
    print("report-in-chromium: " + "; ".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"report-in-chromium: {len(svgs)} SVG plots rendered, page not blank")
PY
