#!/bin/sh
# torn's setup step: size the log file before START, untraced.  $1: target.
exec "$TORN_FILES/jre/bin/java" -XX:+UseSerialGC -Xmx64m \
	-cp "$TORN_FILES/classes" WalLog create "$1/wal.log"
