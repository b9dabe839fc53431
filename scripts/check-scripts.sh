#!/usr/bin/env bash
# Fails when a shell script of the repository has a shellcheck finding, or ends a script or a
# function with an `a && b` list: when `a` is false that list's status 1 becomes the script's
# exit status (or the function's, which `set -e` then turns into an exit), although nothing
# failed. Write `if a; then b; fi` there instead.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t scripts < <(git ls-files '*.sh' .ci/run)
status=0
shellcheck --external-sources "${scripts[@]}" || status=1

# The last command of the file and of every function (a body opened by `name() {` and closed
# by `}` in column 0), looking inside a closing if/for/while/case block.
for script in "${scripts[@]}"; do
    if ! awk -v file="$script" '
        function check(lines, count, what,    i, text) {
            for (i = count; i > 0; --i) {
                text = lines[i]
                if (text !~ /^[[:space:]]*(fi|done|esac|;;)[[:space:]]*$/)
                    break
            }
            if (i > 0 && text ~ /&&/ && text !~ /\|\|/) {
                printf "%s:%d: an `a && b` list is the last command of %s; use if/then\n",
                    file, where[what, i], what
                bad = 1
            }
        }
        /^[[:space:]]*(#|$)/ { next }
        /^[A-Za-z_][A-Za-z0-9_]*\(\)[[:space:]]*\{[[:space:]]*$/ { in_function = 1; body = 0; next }
        in_function && /^}/ { check(function_lines, body, "a function"); in_function = 0; next }
        in_function { function_lines[++body] = $0; where["a function", body] = NR; next }
        { script_lines[++top] = $0; where["the script", top] = NR }
        END { check(script_lines, top, "the script"); exit bad }
    ' "$script"; then
        status=1
    fi
done
exit "$status"
