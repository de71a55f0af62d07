#!/usr/bin/env bash
# The JVM binding's benchmark (src/test/kotlin/io/kissmon/bench/CallBench.kt):
#   bash bindings/kotlin/bench.sh [--smoke]
# Uses the classes of the last `mvn verify` or `mvn test-compile` (test.sh runs one).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
JAVA_HOME="$(bash "$here/java-home.sh")"
test -f "$here/target/test-classpath.txt" ||
  { echo "bench.sh: run 'mvn -f bindings/kotlin/pom.xml test-compile' first" >&2; exit 1; }
classpath="$here/target/classes:$here/target/test-classes:$(cat "$here/target/test-classpath.txt")"
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$classpath" io.kissmon.bench.CallBenchKt "$@"
