#!/bin/sh
# Installs the Debian packages the tests need, only when some are missing (apt-get is slow).
#
# The tests' WebDAV server is sabre/dav, the library Nextcloud is built on, from Debian
# (php-sabre-dav 1.8, Debian 12), run by PHP's built-in server behind
# stand-ins/webdav/nextcloud-dav.php. php8.2-intl gives that script PHP's Normalizer, so
# it can normalise names to NFC as Nextcloud does. Explicit php8.2-* names keep apt from
# choosing another PHP than the one the package set was checked with. chromium runs the
# sandbox's browser test (driven by playwright-core); the emoji font keeps its screenshot readable.
set -eu

PACKAGES="curl php-sabre-dav php8.2-cli php8.2-xml php8.2-mbstring php8.2-intl chromium fonts-noto-color-emoji"

missing=""
for package in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
[ -z "$missing" ] && exit 0

echo "Installing Debian packages:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
