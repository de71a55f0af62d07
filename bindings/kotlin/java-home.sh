#!/usr/bin/env bash
# Prints the home of a JDK 22+ (the FFM API) for the JVM binding's build and
# tests: $JAVA_HOME if it is one, else Temurin 25 where this machine kind
# keeps it. Fails loudly when there is none.
set -euo pipefail
major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
for home in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64; do
  if [ -n "$home" ] && [ -x "$home/bin/java" ] && [ "$(major "$home")" -ge 22 ]; then
    echo "$home"
    exit 0
  fi
done
echo "kissmon (JVM): no JDK 22+ found; set JAVA_HOME to one (the FFM API needs Java 22+)" >&2
exit 1
