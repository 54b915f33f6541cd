#!/bin/sh
# Usage: tools/send-sample.sh SAMPLE SLUG URL   (or: make send SAMPLE=start SLUG=demo URL=http://127.0.0.1:8080)
#
# Posts samples/updates/SAMPLE.json to URL/telegram/update as the gateway would (header X-Bot-Slug),
# then prints the HTTP status and the body. The update_id is replaced by the current time in ms so
# that sending the same sample again is a new update, not a duplicate the service skips.
# Exits 1 when the service cannot be reached or answers something other than 2xx.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SAMPLES="$ROOT/samples/updates"
NL='
'

usage() {
  echo "usage: $0 SAMPLE SLUG URL" >&2
  exit 2
}

available_samples() {
  for file in "$SAMPLES"/*.json; do
    name=${file##*/}
    echo "  ${name%.json}"
  done
}

[ "$#" -eq 3 ] || usage
SAMPLE=$1
SLUG=$2
URL=${3%/}

# Names are checked before touching the file system: no path may escape samples/updates.
case $SAMPLE in
'' | *[!a-z0-9-]*) FILE='' ;;
*) FILE="$SAMPLES/$SAMPLE.json" ;;
esac
if [ -z "$FILE" ] || [ ! -f "$FILE" ]; then
  {
    echo "unknown sample '$SAMPLE'; available samples (samples/updates/):"
    available_samples
  } >&2
  exit 2
fi

case $SLUG in
'' | *[!a-z0-9-]*)
  echo "invalid slug '$SLUG': the gateway's slugs are kebab-case ([a-z0-9-]+)" >&2
  exit 2
  ;;
esac

# First line: the new update_id; the rest: the rewritten Update.
payload=$(node -e '
  const fs = require("node:fs");
  const update = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  update.update_id = Date.now();
  process.stdout.write(update.update_id + "\n" + JSON.stringify(update));
' "$FILE")
UPDATE_ID=${payload%%"$NL"*}
BODY=${payload#*"$NL"}

echo "POST $URL/telegram/update  X-Bot-Slug: $SLUG  sample: $SAMPLE  update_id: $UPDATE_ID"

# The status goes on a last line of its own, after the body, so both come from one call.
if ! response=$(printf '%s' "$BODY" | curl --silent --show-error --max-time 35 \
  --request POST "$URL/telegram/update" \
  --header "X-Bot-Slug: $SLUG" \
  --header 'Content-Type: application/json' \
  --header "X-Request-Id: send-sample-$UPDATE_ID" \
  --data-binary @- \
  --write-out "$NL%{http_code}"); then
  echo "could not reach $URL: is the service running? (make run)" >&2
  exit 1
fi
STATUS=${response##*"$NL"}
REPLY=${response%"$NL"*}

echo "HTTP $STATUS"
if [ -n "$REPLY" ]; then
  echo "$REPLY"
else
  echo "(empty body: nothing for the gateway to relay)"
fi

case $STATUS in
2??) exit 0 ;;
*) exit 1 ;;
esac
