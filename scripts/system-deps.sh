#!/bin/sh
# Check the system libraries WeasyPrint and the venv need; install them with apt-get when running as root.
set -eu
PACKAGES="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core python3-venv"
missing=""
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
have_lib libpango-1.0.so.0 || missing="$missing libpango-1.0-0"
have_lib libpangoft2-1.0.so.0 || missing="$missing libpangoft2-1.0-0"
have_lib libharfbuzz-subset.so.0 || missing="$missing libharfbuzz-subset0"  # font subsetting: smaller PDFs
fc-list 2>/dev/null | grep -qi dejavu || missing="$missing fonts-dejavu-core"
python3 -c 'import ensurepip, venv' 2>/dev/null || missing="$missing python3-venv"
[ -z "$missing" ] && exit 0
echo "system packages missing:$missing" >&2
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  echo "installed:$missing" >&2
else
  echo "install them with: sudo apt-get install -y $PACKAGES" >&2
  exit 1
fi
