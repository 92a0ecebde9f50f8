#!/usr/bin/env bash
# Every ECAI_API function declaration must be preceded (directly) by a /** ... */ comment
# that mentions its ownership or thread-safety and @since. Prints offenders.
bad=0
for h in "${1:-include}"/ecai.h "${1:-include}"/ecai/*.h; do
  awk -v file="$h" '
    /\/\*\*/ { incomment = 1; doc = "" }
    incomment { doc = doc $0 "\n" }
    /\*\// && incomment { incomment = 0; lastdoc = doc; gap = 0; next }
    /ECAI_API/ && !/define/ {
      if (lastdoc == "" || gap > 0 || lastdoc !~ /@since/ || lastdoc !~ /(Thread-safety|Ownership)/) {
        printf "%s:%d: ECAI_API without a complete doc comment (@since, Ownership/Thread-safety)\n", file, NR; bad = 1
      }
      lastdoc = ""; next
    }
    /^[ \t]*$/ { next }
    !incomment { if (lastdoc != "" && $0 !~ /ECAI_API/) gap++ }
    END { exit bad }
  ' "$h" || bad=1
done
exit $bad
