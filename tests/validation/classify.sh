#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Classify the flagged states of a run: prints "ID COUNT" for each known
# finding (findings.txt) they match, and "unexplained COUNT" for the rest.
# usage: classify.sh VERDICTS.JSONL [FINDINGS.TXT]
v=${1:?usage: classify.sh VERDICTS.JSONL [FINDINGS]}
f=${2:-$(dirname "$0")/findings.txt}
grep '"verdict":"\(inconsistent\|unrecoverable\)"' "$v" 2>/dev/null | awk -F'\t' -v fs="$f" '
BEGIN { while ((getline l < fs) > 0) if (l !~ /^#/ && split(l, p, "\t") == 2) { id[++n] = p[1]; re[n] = p[2] } }
{ hit = 0; for (i = 1; i <= n && !hit; i++) if ($0 ~ re[i]) { c[id[i]]++; hit = 1 } if (!hit) c["unexplained"]++ }
END { for (k in c) print k, c[k] }' | sort
