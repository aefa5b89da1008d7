#!/bin/sh
# A user's script that fails before STOP: torn run must end with exit 3
# (infrastructure) and show what it printed, never a silent pass.
torn-mark 100 1 "about to fail"
echo "fail.sh got '$1' and fails now"
echo "fail.sh: to stderr" >&2
exit 7
