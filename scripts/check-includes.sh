#!/usr/bin/env bash
# Fails when a source file includes a project header from a folder its own folder may not
# depend on. The rule is ARCHITECTURE.md's "Dependency rule" table: one line per folder, the
# folders it may include from (its own always).
set -euo pipefail
cd "$(dirname "$0")/.."

# folder: allowed folders (a folder allows its subfolders too)
# shellcheck disable=SC2016 # the backticks are the table's own, not a command
rules=$(sed -n '/^<!-- include-rules -->$/,/^<!-- \/include-rules -->$/p' ARCHITECTURE.md |
    sed -n 's/^| `\([^`]*\)` | \(.*\) |$/\1:\2/p' | tr -d '`')
if [ -z "$rules" ]; then
    echo "check-includes: no rule table in ARCHITECTURE.md" >&2
    exit 1
fi

status=0
while IFS= read -r file; do
    dir=$(dirname "$file")
    # The most specific rule whose folder holds this file.
    rule=""
    best=0
    while IFS=: read -r folder allowed; do
        case "$dir/" in
        "$folder"/*)
            if ((${#folder} > best)); then
                best=${#folder}
                rule=$allowed
                owner=$folder
            fi
            ;;
        esac
    done <<<"$rules"
    [ -n "$rule" ] || continue
    while IFS= read -r included; do
        target=$(dirname "$included")
        ok=false
        for folder in "$owner" ${rule//,/ }; do
            [ "$folder" = "-" ] && continue
            case "$target/" in "$folder"/*) ok=true ;; esac
        done
        if ! $ok; then
            echo "$file: includes \"$included\", but $owner may include only from: $owner, $rule" >&2
            status=1
        fi
    done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$file")
done < <(git ls-files '*.cpp' '*.hpp')
exit "$status"
