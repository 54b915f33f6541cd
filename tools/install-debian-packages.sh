#!/bin/sh
# Installs the Debian packages a purpose needs, only those that are missing (apt-get is slow).
#
# Usage: tools/install-debian-packages.sh [--dry-run] [sandbox|test]
#   sandbox  what `make run` needs to start the sandbox
#   test     what `make test` and CI need (the default): the sandbox's packages and more
#   --dry-run  print the commands that would run, change nothing
#
# Runs apt-get as root, else through sudo. On a machine without apt-get (or without sudo when
# not root) it prints one line naming what to install and exits 1.
#
# Why each package (one a line: add new ones where they belong):
# - sabre/dav, the library Nextcloud is built on, from Debian (php-sabre-dav 1.8, Debian 12),
#   run by PHP's built-in server behind stand-ins/webdav/nextcloud-dav.php, is the WebDAV
#   server of the sandbox and the tests. php8.2-intl gives that script PHP's Normalizer, so it
#   can normalise names to NFC as Nextcloud does. Explicit php8.2-* names keep apt from choosing
#   another PHP than the one the package set was checked with.
# - curl posts the samples (`make send`, tools/send-sample.sh).
# - chromium runs the sandbox's browser test (driven by playwright-core); the emoji font keeps
#   its screenshot readable.
# - postgresql gives initdb and pg_ctl, with which the tests start a throwaway cluster of their
#   own (test/support/postgres-cluster.ts); its system service is not used.
set -eu

SANDBOX_PACKAGES="
curl
php-sabre-dav
php8.2-cli
php8.2-xml
php8.2-mbstring
php8.2-intl
"

TEST_PACKAGES="
$SANDBOX_PACKAGES
chromium
fonts-noto-color-emoji
postgresql
"

DRY_RUN=false
PURPOSE=test
for argument in "$@"; do
  case $argument in
  --dry-run) DRY_RUN=true ;;
  sandbox | test) PURPOSE=$argument ;;
  *)
    echo "usage: $0 [--dry-run] [sandbox|test]" >&2
    exit 2
    ;;
  esac
done
if [ "$PURPOSE" = sandbox ]; then PACKAGES=$SANDBOX_PACKAGES; else PACKAGES=$TEST_PACKAGES; fi

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=""
for package in $PACKAGES; do
  installed "$package" || missing="$missing $package"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
cannot=""
command -v apt-get >/dev/null 2>&1 || cannot="no apt-get here"
[ -z "$cannot" ] && [ -n "$SUDO" ] && ! command -v sudo >/dev/null 2>&1 && cannot="not root and no sudo"
if [ -n "$cannot" ]; then
  echo "Missing Debian packages ($cannot to install them): install$missing" >&2
  exit 1
fi

echo "Installing the Debian packages $PURPOSE needs:$missing${SUDO:+ (with sudo)}" >&2
run() {
  if $DRY_RUN; then echo "would run: $*"; else "$@"; fi
}
run $SUDO apt-get update -qq
run $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
