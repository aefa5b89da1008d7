#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vm test: the shipped CI pipelines, run here.  tests/ci/pipeline.py reads
# .github/workflows/crash-matrix.yml and examples/ci/gitlab-ci.yml (with
# the child pipeline torn matrix --format gitlab writes, over
# examples/ci/gitlab-torn.yml) and runs their jobs' own commands in CI
# order, each job in a workspace of its own, artifacts copied between
# them.  Two-cell matrices:
#   GitHub: one spec (pmlog on devdax, consistent) in 2 shards of one
#           trace: plan, 1 trace, 2 checks, report; every job passes, the
#           merged JUnit has the shards' states, no failure
#   GitLab: two specs, one a seeded bug (bug-noflush): its check job
#           fails, the other passes, the report still runs and its JUnit
#           flags the bug's states with their torn replay commands
torn=$(realpath "$1")
top=$(cd "$(dirname "$0")/../.." && pwd)
command -v qemu-system-x86_64 >/dev/null || { echo "skip: no qemu-system-x86_64"; exit 4; }
ls /boot/vmlinuz-* >/dev/null 2>&1 || { echo "skip: no guest kernel in /boot"; exit 4; }
python3 -c 'import yaml' 2>/dev/null || { echo "skip: no python3-yaml"; exit 4; }
d=$(mktemp -d /tmp/torn-pipelines-XXXXXX)
trap 'rm -rf "$d"' EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
cache=${XDG_CACHE_HOME:-$HOME/.cache}/torn
# job NAME-PATTERN: "RESULT" of each matching job in summary.json, sorted
jobs() { python3 -c '
import json, sys, fnmatch
s = json.load(open(sys.argv[1]))
print(" ".join(sorted(j["result"] for j in s if fnmatch.fnmatch(j["job"], sys.argv[2]))))' "$1" "$2"; }
# log JOB-PATTERN: the logs of the matching jobs, for a failure's story
logs() { for f in "$1"/jobs/$2/.*.log; do echo "--- $f"; tail -15 "$f"; done; }

# ---- GitHub -----------------------------------------------------------
gh=$d/github
python3 "$top/tests/ci/pipeline.py" github "$top/.github/workflows/crash-matrix.yml" "$top" "$gh" \
	--env TORN="$torn" --env TORN_SPECS=tests/ci/specs --env TORN_FS= --env TORN_FLUSH= \
	--env TORN_SHARDS=2 || { bad "github: the runner failed"; exit 1; }
s=$gh/summary.json
if [ "$(jobs "$s" plan)" = success ] && [ "$(jobs "$s" 'trace*')" = success ] &&
	[ "$(jobs "$s" 'check*')" = "success success" ] && [ "$(jobs "$s" report)" = success ]; then
	ok "github: plan, 1 trace, 2 shard checks and the report passed"
else
	bad "github: jobs $(jobs "$s" '*')"; logs "$gh" '*'
fi
shard_states=$(cat "$gh"/jobs/check-*/cells/*/verdicts.jsonl 2>/dev/null | wc -l)
junit=$gh/jobs/report-0/report/pmlog-devdax.devdax.clwb.prefix.junit.xml
merged=$(sed -n 's/.*name="states_checked" value="\([0-9]*\)".*/\1/p' "$junit" 2>/dev/null)
if [ -n "$merged" ] && [ "$merged" -gt 0 ] && [ "$merged" = "$shard_states" ] &&
	grep -q 'failures="0" errors="0"' "$junit" && [ "$(grep -c '<testsuite ' "$junit")" = 1 ]; then
	ok "github: merged JUnit, one testsuite, $merged states = the 2 shards' $shard_states, no failure"
else
	bad "github: merged JUnit: states_checked '${merged}', shards $shard_states"; head -5 "$junit"
fi

# ---- GitLab -----------------------------------------------------------
gl=$d/gitlab
python3 "$top/tests/ci/pipeline.py" gitlab "$top/examples/ci/gitlab-ci.yml" "$top" "$gl" \
	--env TORN="$torn" --env "TORN_SPECS=tests/ci/specs tests/ci/specs-bug" --env TORN_FS= \
	--env TORN_FLUSH= --env TORN_SHARDS=1 --cache torn-kit="$cache" ||
	{ bad "gitlab: the runner failed"; exit 1; }
s=$gl/summary.json
bug=noflush-devdax.devdax.clwb.prefix good=pmlog-devdax.devdax.clwb.prefix
if [ "$(jobs "$s" torn-plan)" = success ] && [ "$(jobs "$s" 'torn-trace*')" = "success success" ] &&
	[ "$(jobs "$s" "torn-check*$good*")" = success ] &&
	[ "$(jobs "$s" "torn-check*$bug*")" = failure ] &&
	[ "$(jobs "$s" torn-report)" = failure ] && [ "$(jobs "$s" torn-cells)" = failure ]; then
	ok "gitlab: child pipeline of 2 traces and 2 cells; the bug's cell failed, the other passed, the report ran"
else
	bad "gitlab: jobs $(jobs "$s" '*')"; logs "$gl" '*'; logs "$gl/torn-cells" '*'
fi
rep=$(ls -d "$gl"/torn-cells/jobs/torn-report-0/report 2>/dev/null)
gj=$rep/$good.junit.xml bj=$rep/$bug.junit.xml
if grep -q 'failures="0" errors="0"' "$gj" 2>/dev/null &&
	grep -q '<failure type="inconsistent"' "$bj" 2>/dev/null &&
	grep -q "<system-out>torn replay $bug\|<system-out>torn replay .*cells/$bug" "$bj" &&
	grep -q "classname=\"devdax.clwb.prefix\"" "$bj"; then
	ok "gitlab: JUnit of each cell: the bug's flags its states, with their torn replay commands"
else
	bad "gitlab: JUnit"; ls "$rep"; grep -m3 "failure\|system-out" "$bj"
fi
echo "pipelines: $([ $fail = 0 ] && echo passed || echo failed)"
exit $fail
