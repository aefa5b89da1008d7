#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Classify the flagged states of a run by the known finding torn check
# recorded for each (its "known" member, from the stock findings file
# oracles/findings/stock.findings and any --known file; docs/findings.md):
# prints "ID COUNT" for each finding and "unexplained COUNT" for the rest.
# A state's last verdict line is its verdict.
# usage: classify.sh VERDICTS.JSONL
v=${1:?usage: classify.sh VERDICTS.JSONL}
[ -f "$v" ] || exit 0
tac "$v" | awk -F'"' '$2 == "state" && !seen[$4]++' |
	grep '"verdict":"\(inconsistent\|unrecoverable\)"' |
	sed -e 's/.*"known":"\([^"]*\)".*/\1/;t' -e 's/.*/unexplained/' |
	sort | uniq -c | awk '{print $2, $1}'
