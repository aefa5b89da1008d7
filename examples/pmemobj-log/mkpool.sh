#!/bin/sh
# torn's setup step for pmlog: make the pool before START, untraced.
# $1 is the target (the mount point).
set -e
exec /opt/torn/bin/pmlog create "$1/log.pool"
