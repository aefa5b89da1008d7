#!/bin/sh
# The traced program: the staged Java runtime (a jlink image of Debian's
# openjdk-17) running WalLog.  $@: WalLog's arguments.
exec "$TORN_FILES/jre/bin/java" -XX:+UseSerialGC -Xmx64m \
	-cp "$TORN_FILES/classes" WalLog "$@"
