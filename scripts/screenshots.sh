#!/usr/bin/env bash
# A screenshot of every shipped email and letter in every language, to look at
# before shipping a change to config/templates/. Not run in CI: it needs
# Chromium (Debian: `apt-get install chromium`).
#
#   scripts/screenshots.sh
#   RELANCE=target/release/relance DATE=2026-11-20 scripts/screenshots.sh
#
# It generates a portfolio (`relance gen`), imports it into a throwaway SQLite
# store and runs the collection each day of the three weeks before DATE (so
# that later messages have earlier reminders to refer to). Then, for each
# template, it picks an account with a step using it planned on DATE or one of
# the nine days after, renders it in en, fr, de and es with
# `relance preview --lang`, and shoots each page with headless Chromium.
#
# Output in target/screenshots/ (or $CARGO_TARGET_DIR/screenshots/):
#   <template>-<lang>.html   what `relance preview --out` wrote
#   <template>-<lang>.png    the page at desktop width
#   <template>-<lang>-narrow.png (emails only) at a phone's width
#
# Environment: RELANCE (the binary; default the newest of target/{release,debug}),
# CHROMIUM (default chromium, chromium-browser or google-chrome), CONFIG (default
# config/), DATE (default 2026-11-20), CUSTOMERS (default 300).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
config=${CONFIG:-$root/config}
day=${DATE:-2026-11-20}
customers=${CUSTOMERS:-300}
out=$target/screenshots

relance=${RELANCE:-$(ls -t "$target"/release/relance "$target"/debug/relance 2>/dev/null | head -n 1 || true)}
if [[ -z $relance || ! -x $relance ]]; then
  echo "error: no relance binary in $target: run \`cargo build\` or set RELANCE" >&2
  exit 2
fi
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}
if [[ -z $chromium ]]; then
  echo "error: Chromium not found: \`apt-get install chromium\` (Debian) or set CHROMIUM" >&2
  exit 2
fi
for tool in jq date; do
  command -v "$tool" >/dev/null || { echo "error: $tool is needed" >&2; exit 2; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db="sqlite://$work/relance.db"
before=$(date -d "$day - 21 days" +%F)
mkdir -p "$out"

echo "relance: $relance"
echo "config:  $config"
"$relance" gen -q --customers "$customers" --items $((customers * 5)) --seed 1 --date "$day" \
  --out "$work/data" >/dev/null
"$relance" import -q --config "$config" --db "$db" --date "$before" "$work/data" >/dev/null
for offset in $(seq 21 -1 1); do
  run_day=$(date -d "$day - $offset days" +%F)
  "$relance" run -q --config "$config" --db "$db" --date "$run_day" --mailer file \
    --outbox "$work/outbox" >/dev/null ||
    echo "warning: the run of $run_day failed to send some messages (above); going on" >&2
done
for offset in 0 1 2 3 4 5 6 7 8 9; do
  "$relance" plan -q --config "$config" --db "$db" --date "$(date -d "$day + $offset days" +%F)" \
    --json >"$work/plan-$offset.json"
done

# An account, a step and a date for a template: the first day from $day on
# when a step using it is planned (the standard scenario preferred), so that
# the preview covers the items that step would cover. Else any account on
# $day, whose preview then covers its overdue items.
pick() {
  local template=$1 offset
  for offset in 0 1 2 3 4 5 6 7 8 9; do
    jq -r --arg t "$template" '
      . as $plan
      | [.actions[] | select(.template == $t)]
      | (map(select(.scenario == "standard")) + .)[0]
      | if . == null then empty else "\(.account) \(.step) \($plan.date)" end' \
      "$work/plan-$offset.json"
  done | head -n 1
}

shoot() {
  local html=$1 png=$2 width=$3 height=$4
  local sandbox=()
  if [[ $EUID -eq 0 ]]; then sandbox=(--no-sandbox); fi
  "$chromium" --headless "${sandbox[@]}" --disable-gpu --hide-scrollbars \
    --force-device-scale-factor=1 --window-size="$width,$height" \
    --screenshot="$png" "file://$html" >/dev/null 2>&1
}

any=$(jq -r '.actions[0].account // empty' "$work/plan-0.json")
for template in courtesy reminder_1 reminder_2 formal_notice; do
  account='' step='' on=''
  read -r account step on <<<"$(pick "$template")" || true
  if [[ -z $account ]]; then
    account=$any on=$day
    case $template in formal_notice) step=notice ;; *) step=$template ;; esac
    echo "note: no $template planned from $day to $day + 9 days; previewing $step for $account"
  fi
  for lang in en fr de es; do
    html=$out/$template-$lang.html
    "$relance" preview -q --config "$config" --db "$db" --date "$on" --account "$account" \
      --step "$step" --lang "$lang" --out "$html" >/dev/null
    if [[ $template == formal_notice ]]; then
      shoot "$html" "$out/$template-$lang.png" 900 2200
    else
      shoot "$html" "$out/$template-$lang.png" 800 2000
      shoot "$html" "$out/$template-$lang-narrow.png" 390 2600
    fi
    echo "$template: $out/$template-$lang.png ($step for $account on $on)"
  done
done
