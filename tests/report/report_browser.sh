#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# torn report --html in a real browser: what headless chromium's DOM of the
# page holds (the timeline, the counts, the failing states, and none of the
# hostile markup the fixture's guests "sent").  Exit 4: no chromium.
# usage: report_browser.sh REPORT_CLI REPORT_FIXTURE
set -u
cli=$1
fixture=$2
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
	echo "report_browser: chromium is not installed (scripts/setup installs it): skip"
	exit 4
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "report_browser: FAIL: $*"
	exit 1
}

# dump DIR NAME: the DOM of DIR's report, as the browser built it
dump() {
	timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$tmp/profile-$2" \
		--dump-dom "file://$tmp/$2.html" >"$tmp/$2.dom" 2>"$tmp/$2.err" ||
		{ cat "$tmp/$2.err"; fail "chromium could not load $2.html"; }
	[ -s "$tmp/$2.dom" ] || fail "empty DOM for $2.html"
}

has() {
	grep -qF -- "$2" "$tmp/$1.dom" || fail "$1: the page does not show: $2"
}

hasnt() {
	! grep -qF -- "$2" "$tmp/$1.dom" || fail "$1: the page shows: $2"
}

value() {
	sed -n "s/^$1 //p" "$tmp/$2.expect"
}

"$fixture" "$tmp/bad" bad >"$tmp/bad.expect" || fail "fixture bad"
"$fixture" "$tmp/ok" ok >"$tmp/ok.expect" || fail "fixture ok"
"$cli" report "$tmp/bad" --html "$tmp/bad.html" >/dev/null 2>&1
[ $? = 1 ] || fail "torn report of the failing run did not exit 1"
"$cli" report "$tmp/ok" --html "$tmp/ok.html" >/dev/null 2>&1 ||
	fail "torn report of the consistent run did not exit 0"
dump "$tmp/bad" bad
dump "$tmp/ok" ok

# the timeline, drawn
has bad '<svg id="timeline"'
has bad 'data-records="20"'
has bad 'class="cp-fail"'
has bad '<path class="st" d="M'
# where the stores went, and each failing state's in-flight writes
has bad '<g id="stores-by-address">'
has bad '<table class="explain">'
has bad '<td class="l dropped">DROPPED</td>'
has bad "before the namespace's data (its info block)"
# the counts
has bad "<div class=\"card\" id=\"count-states\"><b>$(value states bad)</b>"
has bad "<div class=\"card bad\" id=\"count-inconsistent\"><b>$(value inconsistent bad)</b>"
has bad "<div class=\"card bad\" id=\"count-unrecoverable\"><b>$(value unrecoverable bad)</b>"
# the failing states, with their replay commands
for id in "$(value failing_id bad)" "$(value unrecoverable_id bad)"; do
	has bad "<section class=\"state\" id=\"s-$id\""
	has bad "<code class=\"replay\">torn replay $tmp/bad $id</code>"
done
# what the guests sent is text, never markup: no script ran, no element
# came from a detail, and the browser kept the escaped text
hasnt bad '<script'
hasnt bad '<img'
hasnt bad '<b>&amp;</b>'
has bad '&lt;script&gt;alert(1)&lt;/script&gt;'
has bad '"&gt;&lt;img src=x onerror=alert(2)&gt;'
has bad 'id="notes"'

has ok '<svg id="timeline"'
has ok 'id="no-failures"'
has ok "<div class=\"card\" id=\"count-consistent\"><b>$(value states ok)</b>"
hasnt ok 'class="cp-fail"'
echo "report_browser: ok"
