#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# unit test: cmake --install puts torn_mark.h and torn.pc under a prefix;
# a program outside torn's tree builds against them with pkg-config, and
# its markers are harmless outside the tracer (it runs on the host).
build=${1:?usage: install.sh BUILD-DIR}
d=$(mktemp -d /tmp/torn-install-test-XXXXXX)
trap 'rm -rf "$d"' EXIT
cmake --install "$build" --prefix "$d/prefix" --component dev >"$d/install.log" 2>&1 ||
	{ cat "$d/install.log"; echo "FAIL cmake --install"; exit 1; }
pc=$(find "$d/prefix" -name torn.pc | head -1)
[ -n "$pc" ] && [ -f "$d/prefix/include/torn/torn_mark.h" ] ||
	{ find "$d/prefix"; echo "FAIL: torn.pc or include/torn/torn_mark.h not installed"; exit 1; }
cflags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags torn) ||
	{ echo "FAIL pkg-config --cflags torn"; exit 1; }
cat >"$d/prog.c" <<'PROG'
#include <string.h>
#include <torn_mark.h>

int main(void)
{
	const char *op = "my op";

	torn_mark(TORN_MARK_ID_OP_BEGIN, 1, op, strlen(op));
	torn_mark(TORN_MARK_ID_USER, 42, NULL, 0);
	return 0;
}
PROG
cc $cflags -Wall -Werror -o "$d/prog" "$d/prog.c" 2>"$d/cc.log" ||
	{ cat "$d/cc.log"; echo "FAIL: a program does not build with pkg-config --cflags torn ($cflags)"; exit 1; }
"$d/prog" || { echo "FAIL: the program's markers crash outside the tracer"; exit 1; }
echo "ok   installed: $(cd "$d/prefix" && find . -type f | sort | tr '\n' ' ')"
echo "ok   cc \$(pkg-config --cflags torn) prog.c: $cflags"
