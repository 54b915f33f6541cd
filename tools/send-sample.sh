#!/bin/sh
# Usage: tools/send-sample.sh SAMPLES SLUG URL   (or: make send SAMPLE=start [SLUG=sandbox] [PORT=8080])
#
# Posts samples/updates/<name>.json to URL/telegram/update as the gateway would (header X-Bot-Slug),
# then prints the HTTP status and the body. SAMPLES is one name, several separated by spaces, or
# `album` (album-1 album-2 album-3: one album of three photos).
#
# Each post is new to the service, so a sample can be played again and again: the update_id, the
# message ids, the callback query id and the id of the message under a tapped button are replaced
# by ids made from the current time in ms (the service skips a repeated update_id and answers
# "already handled" to a second tap on the same message's buttons), and the samples of one call
# share one fresh media_group_id (an album sent again is a new album, not late photos of the old one).
# Exits 1 when the service cannot be reached or answers something other than 2xx.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SAMPLES="$ROOT/samples/updates"
NL='
'

usage() {
  echo "usage: $0 SAMPLES SLUG URL" >&2
  exit 2
}

available_samples() {
  echo "  album  (album-1 album-2 album-3)"
  for file in "$SAMPLES"/*.json; do
    name=${file##*/}
    echo "  ${name%.json}"
  done
}

[ "$#" -eq 3 ] || usage
NAMES=$1
SLUG=$2
URL=${3%/}
# `album` stands for its three items, alone or among other names.
EXPANDED=""
for SAMPLE in $NAMES; do
  [ "$SAMPLE" = album ] && SAMPLE="album-1 album-2 album-3"
  EXPANDED="$EXPANDED $SAMPLE"
done
NAMES=$EXPANDED

# Names are checked before touching the file system: no path may escape samples/updates.
FILES=""
for SAMPLE in $NAMES; do
  case $SAMPLE in
  *[!a-z0-9-]*) FILE='' ;;
  *) FILE="$SAMPLES/$SAMPLE.json" ;;
  esac
  if [ -z "$FILE" ] || [ ! -f "$FILE" ]; then
    {
      echo "unknown sample '$SAMPLE'; available samples (samples/updates/):"
      available_samples
    } >&2
    exit 2
  fi
  FILES="$FILES $FILE"
done
[ -n "$FILES" ] || usage

case $SLUG in
'' | *[!a-z0-9-]*)
  echo "invalid slug '$SLUG': the gateway's slugs are kebab-case ([a-z0-9-]+)" >&2
  exit 2
  ;;
esac

# One line per sample: its name, its new update_id and the rewritten Update, tab-separated.
# shellcheck disable=SC2086 # FILES is a list of paths without spaces or glob characters
payloads=$(node -e '
  const fs = require("node:fs");
  const base = Date.now();
  let next = base;
  const fresh = () => ++next;
  for (const file of process.argv.slice(1)) {
    const update = JSON.parse(fs.readFileSync(file, "utf8"));
    update.update_id = fresh();
    for (const key of ["message", "edited_message"]) {
      const message = update[key];
      if (!message) continue;
      message.message_id = fresh();
      if (message.media_group_id) message.media_group_id = String(base);
    }
    const query = update.callback_query;
    if (query) {
      query.id = String(fresh());
      if (query.message) query.message.message_id = fresh();
    }
    const name = file.split("/").pop().replace(/\.json$/, "");
    process.stdout.write(`${name}\t${update.update_id}\t${JSON.stringify(update)}\n`);
  }
' $FILES)

failed=0
TAB=$(printf '\t')
while IFS="$TAB" read -r SAMPLE UPDATE_ID BODY; do
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
  2??) ;;
  *) failed=1 ;;
  esac
done <<END
$payloads
END
exit "$failed"
