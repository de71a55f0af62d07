#!/usr/bin/env bash
# Tests of the JVM binding (Kotlin over UniFFI's Java FFM glue), from a fresh
# machine with cargo, Maven and a JDK 22+ (java-home.sh finds one; Temurin 25
# on this machine kind): lints the crate, checks the generated glue and the
# README's examples for drift, runs `mvn install` (cargo build, kotlinc, javac,
# JUnit 5, then the jar into the local repository), uses the jar from a fresh
# project, and runs the benchmark briefly. The conformance corpus runs in conformance/run.sh
# (bash conformance/run.sh --lang kotlin).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$here"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}"
JAVA_HOME="$(bash java-home.sh)"
export JAVA_HOME
# MAVEN_REPO_LOCAL: another local repository (an empty one shows a fresh machine's downloads).
m2="${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}"
mvn=(mvn -B -ntp -f "$here/pom.xml" "-Dmaven.repo.local=$m2")

step() { printf '\n== kotlin: %s\n' "$*"; }
scratch="$(mktemp -d "${TMPDIR:-/tmp}/kissmon-kotlin-test.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

step "rustfmt, clippy and unit tests of the crate (kissmon-kotlin)"
cargo fmt -p kissmon-kotlin --check
cargo clippy -p kissmon-kotlin --all-targets --locked -- -D warnings
cargo test -p kissmon-kotlin --locked

step "the committed FFM glue is what uniffi-bindgen-java generates"
bash generate.sh "$scratch/generated"
if ! diff -ru src/main/java/io/kissmon/ffi "$scratch/generated/io/kissmon/ffi"; then
  echo "kotlin: src/main/java/io/kissmon/ffi differs from the generated glue; run 'bash bindings/kotlin/generate.sh' and commit it" >&2
  exit 1
fi

step "the jar's version is the workspace's"
cargo_version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$repo/Cargo.toml" | head -1)"
pom_version="$(sed -n 's|^  <version>\(.*\)</version>$|\1|p' pom.xml | head -1)"
[ "$cargo_version" = "$pom_version" ] || { echo "kotlin: pom.xml has version $pom_version, Cargo.toml $cargo_version" >&2; exit 1; }

step "the README's examples are the ones the tests compile and run"
readme_block() { awk -v lang="$1" -v marker="<!-- example: $2 -->" '$0 == marker {grab=1; next} grab && $0 == "```" lang {inside=1; next} inside && /^```$/ {exit} inside {print}' README.md; }
source_block() { sed -n '/\/\/ README example begins/,/\/\/ README example ends/p' "$1" | sed '1d;$d' | sed -E "s/^ {$2}//"; }
for pair in "java src/test/java/io/kissmon/example/JavaExample.java 8" "kotlin src/test/kotlin/io/kissmon/example/KotlinExample.kt 4"; do
  read -r lang file indent <<<"$pair"
  if [ -z "$(readme_block "$lang" "$file")" ] || [ "$(readme_block "$lang" "$file")" != "$(source_block "$file" "$indent")" ]; then
    echo "kotlin: the $lang example in README.md differs from $file" >&2
    diff <(readme_block "$lang" "$file") <(source_block "$file" "$indent") >&2 || true
    exit 1
  fi
done

step "mvn install (verify, then into the local repository): cargo build --release, kotlinc + javac, JUnit 5"
"${mvn[@]}" install | tee "$scratch/verify.out"
summary="$(grep -E '^\[(INFO|WARNING|ERROR)\] Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$' "$scratch/verify.out" | tail -1)"
ran="$(sed -n 's/.*Tests run: \([0-9]*\),.*/\1/p' <<<"$summary")"
if [ -z "$ran" ] || [ "$ran" -eq 0 ]; then
  echo "kotlin: no test ran" >&2
  exit 1
fi
"$JAVA_HOME/bin/jar" tf target/kissmon-"$pom_version".jar | grep -qx 'io/kissmon/native/linux-x86-64/libkissmon_jvm.so' ||
  { echo "kotlin: the jar lacks the native library" >&2; exit 1; }

step "a fresh project that only has the installed jar (and kotlin-stdlib)"
classpath="$m2/io/kissmon/kissmon/$pom_version/kissmon-$pom_version.jar:$(tr -d '\n' < target/test-classpath.txt | tr ':' '\n' | grep '/kotlin-stdlib' | paste -sd:)"
mkdir -p "$scratch/bot"
cat > "$scratch/bot/Bot.java" <<'JAVA'
import io.kissmon.Kissmon;
import io.kissmon.MonitorClient;
import java.time.Duration;

public class Bot {
    public static void main(String[] args) {
        try (MonitorClient client = new MonitorClient("installed", null, args[0])) {
            client.heartbeat();
            System.out.println("installed jar ok: flush " + client.flush(Duration.ofMillis(10))
                + ", decode " + Kissmon.decodeLine("{\"type\":\"heartbeat\",\"channel\":\"x\",\"pid\":1}"));
        }
    }
}
JAVA
"$JAVA_HOME/bin/javac" -cp "$classpath" -d "$scratch/bot" "$scratch/bot/Bot.java"
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$classpath:$scratch/bot" Bot "$scratch/absent.sock" |
  tee "$scratch/bot.out"
grep -q '^installed jar ok: flush false, decode {"type":"heartbeat","channel":"x","pid":1}$' "$scratch/bot.out"

step "benchmark smoke run (figures are not judged here)"
bash bench.sh --smoke

step "all passed ($summary)"
