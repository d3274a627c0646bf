#!/usr/bin/env bash
# Tests of the ./microgpt launcher's class-data sharing and JVM options, run by the build at
# `verify` (after the jar is packaged) and by hand:
#
#   bash microgpt-examples/src/test/launcher/launcher-test.sh [REPO] [JAR]
#
# The launcher runs from a scratch copy of the repository's layout (the script and the jar), so
# the real target/cds is never touched. Every case checks that stdout is byte for byte what
# `java -jar microgpt.jar` prints and that stderr is empty: an archive, missing, stale or damaged,
# may change the speed, never the output.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="${1:-$(cd "$here/../../../.." && pwd)}"
jar="${2:-$repo/microgpt-examples/target/microgpt.jar}"
java="java"
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  java="$JAVA_HOME/bin/java"
fi
[ -f "$jar" ] || { echo "launcher-test: no jar at $jar (package first)" >&2; exit 1; }

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/microgpt-examples/target"
cp "$repo/microgpt" "$scratch/microgpt"
cp "$jar" "$scratch/microgpt-examples/target/microgpt.jar"
launcher="$scratch/microgpt"
cds="$scratch/microgpt-examples/target/cds"
args=(train --steps 20 --samples 3)
expected="$scratch/expected.txt"
"$java" -jar "$jar" "${args[@]}" > "$expected"

failures=0
fail() { echo "launcher-test: FAILED: $*" >&2; failures=$((failures + 1)); }
pass() { echo "launcher-test: ok: $*"; }

# Runs the launcher with the given environment assignments; checks stdout and stderr.
run_case() {
  local name="$1"; shift
  if ! env "$@" "$launcher" "${args[@]}" > "$scratch/out.txt" 2> "$scratch/err.txt"; then
    fail "$name: exit code $? (stderr: $(head -c 500 "$scratch/err.txt"))"
    return
  fi
  if ! cmp -s "$expected" "$scratch/out.txt"; then
    fail "$name: stdout differs from java -jar's: $(diff "$expected" "$scratch/out.txt" | head -5)"
    return
  fi
  if [ -s "$scratch/err.txt" ]; then
    fail "$name: stderr is not empty: $(head -c 500 "$scratch/err.txt")"
    return
  fi
  pass "$name"
}

archives() { find "$cds" -name '*.jsa' 2>/dev/null | sort; }

run_case "first run: makes the archive" JAVA_OPTS=
[ "$(archives | wc -l)" -eq 1 ] && pass "one archive after the first run" || fail "archives after the first run: $(archives)"
archive="$(archives | head -1)"
[ -s "${archive:-/nonexistent}" ] || fail "the archive is empty or missing"
[ -z "$(find "$cds" -name '*.partial' -o -name '*.classlist')" ] || fail "a partial archive or a class list was left behind"
# With -Xshare:on the JVM refuses to start unless it can map the archive: it is a real one.
if "$java" -Xshare:on "-XX:SharedArchiveFile=$archive" -jar "$scratch/microgpt-examples/target/microgpt.jar" \
     --version > /dev/null 2>&1; then
  pass "the archive maps with -Xshare:on"
else
  fail "the JVM cannot map the archive with -Xshare:on"
fi

# A reference file marks a moment after the archive was made; a remade archive would be newer.
touch -t 200001010000 "$scratch/microgpt-examples/target/microgpt.jar"
sleep 1
touch "$scratch/now"
sleep 1
run_case "second run: uses the archive" JAVA_OPTS=
[ "$archive" -nt "$scratch/now" ] && fail "a current archive was made again" || pass "a current archive is kept"

head -c 65536 /dev/urandom > "$scratch/garbage"
rm -f "$archive" && cp "$scratch/garbage" "$archive"
run_case "a damaged archive is ignored" JAVA_OPTS=

touch "$scratch/microgpt-examples/target/microgpt.jar"
run_case "a stale archive is made again" JAVA_OPTS=
if cmp -s "$scratch/garbage" "$archive"; then fail "the stale archive was not replaced"; else pass "the stale archive was replaced"; fi

# The installation behind the java on the PATH is remembered in a file; a wrong one is looked up again.
home_files=("$cds"/home-of*)
if [ -s "${home_files[0]}" ]; then
  echo "/nonexistent/jdk" > "${home_files[0]}"
  run_case "a wrong remembered Java installation is looked up again" JAVA_OPTS=
  if [ "$(cat "${home_files[0]}")" != "/nonexistent/jdk" ] && [ -f "$(cat "${home_files[0]}")/release" ]; then
    pass "the remembered installation was corrected"
  else
    fail "the remembered installation is still $(cat "${home_files[0]}")"
  fi
fi

# A pattern in JAVA_OPTS reaches the JVM as written (the staleness check's globbing is off again).
run_case "a pattern in JAVA_OPTS is kept" "JAVA_OPTS=-Xlog:gc*=off"

# The jar is built again when a source file or a POM is newer, with a stand-in for mvnw that
# only touches the jar; build messages go to stderr.
cat > "$scratch/mvnw" <<'MVNW'
#!/usr/bin/env bash
echo "stand-in build" >> "$(dirname "$0")/builds.txt"
touch "$(dirname "$0")/microgpt-examples/target/microgpt.jar"
MVNW
chmod +x "$scratch/mvnw"
mkdir -p "$scratch/microgpt-core/src/main/java"
touch -t 200001010000 "$scratch/microgpt-core/src/main/java/Old.java" "$scratch/microgpt-core/src/main/java" \
  "$scratch/microgpt-core/src/main" "$scratch/microgpt-core/src"
run_case "sources older than the jar: no build" JAVA_OPTS=
[ ! -e "$scratch/builds.txt" ] && pass "no build for current sources" || fail "built although the jar is current"
touch "$scratch/microgpt-core/src/main/java/New.java"
if env JAVA_OPTS= "$launcher" "${args[@]}" > "$scratch/out.txt" 2> "$scratch/err.txt" \
   && cmp -s "$expected" "$scratch/out.txt" && [ -s "$scratch/builds.txt" ] && grep -q "building" "$scratch/err.txt"; then
  pass "a source newer than the jar: built first, output unchanged"
else
  fail "a source newer than the jar: builds $(cat "$scratch/builds.txt" 2>/dev/null | wc -l), stderr $(head -c 300 "$scratch/err.txt")"
fi
rm -f "$scratch/builds.txt"
sleep 1
touch "$scratch/microgpt-core/pom.xml"
env JAVA_OPTS= "$launcher" "${args[@]}" > "$scratch/out.txt" 2> "$scratch/err.txt" || true
[ -s "$scratch/builds.txt" ] && pass "a POM newer than the jar: built first" || fail "a newer POM did not build"
rm -rf "$scratch/microgpt-core" "$scratch/mvnw" "$scratch/builds.txt"

run_case "JAVA_OPTS replaces the defaults" "JAVA_OPTS=-Xmx256m -XX:+UseParallelGC"
run_case "JAVA_OPTS may turn sharing off" "JAVA_OPTS=-Xshare:off"

rm -rf "$cds"
run_case "MICROGPT_CDS=off makes no archive" MICROGPT_CDS=off JAVA_OPTS=
[ ! -d "$cds" ] && pass "no archive directory with MICROGPT_CDS=off" || fail "MICROGPT_CDS=off made $cds"

mkdir -p "$cds" && chmod a-w "$cds"
if [ -w "$cds" ]; then
  pass "(skipped the read-only case: this user can write anywhere)"
else
  run_case "a read-only target directory only costs speed" JAVA_OPTS=
fi
chmod u+w "$cds"

# The JVM options each command gets, seen by a stand-in java (a JAVA_HOME without a release
# file, so no sharing options either) that prints its arguments one a line: train and bench ask for
# huge pages exactly where the kernel hands them out on request, generate and the simulator do not,
# and JAVA_OPTS replaces the request.
fake_home="$scratch/fake-jdk"
mkdir -p "$fake_home/bin"
printf '#!/usr/bin/env bash\nprintf "%%s\\n" "$@"\n' > "$fake_home/bin/java"
chmod +x "$fake_home/bin/java"
thp_mode=""
read -r thp_mode < /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || true
case "$thp_mode" in *"[madvise]"*) wanted=yes ;; *) wanted=no ;; esac
# "yes" if the launcher, run as the rest of the line says (with the fake java, which prints its
# arguments one a line), passes the JVM the option given first; else "no".
passes_option() {
  local option="$1"
  shift
  if env JAVA_HOME="$fake_home" "$@" > "$scratch/options.txt" 2> "$scratch/err.txt" \
     && grep -qx -- "$option" "$scratch/options.txt"; then echo yes; else echo no; fi
}
asks_for_huge_pages() { passes_option -XX:+UseTransparentHugePages "$@"; }
for command_line in "bench --help" "train --steps 3000" "train --n-embd 64" "train --resume run" \
    "train" "train --help" "train --steps 1500 --data names.txt" "train --engine array"; do
  # shellcheck disable=SC2086
  got="$(asks_for_huge_pages JAVA_OPTS= "$launcher" $command_line)"
  [ "$got" = "$wanted" ] && pass "$command_line asks for huge pages: $got (kernel: $thp_mode)" \
    || fail "$command_line asks for huge pages: $got, wanted $wanted (kernel: $thp_mode)"
done
# generate asks for none, whatever the model: it never ran faster with them after a pause (see the launcher).
for command_line in "generate --model run" "generate --model run --samples 1000" "generate --help"; do
  # shellcheck disable=SC2086
  got="$(asks_for_huge_pages JAVA_OPTS= "$launcher" $command_line)"
  [ "$got" = no ] && pass "$command_line asks for no huge pages" || fail "$command_line asks for huge pages"
done
got="$(asks_for_huge_pages JAVA_OPTS= "$launcher" simulator --help)"
[ "$got" = no ] && pass "simulator asks for no huge pages" || fail "simulator asks for huge pages"
got="$(asks_for_huge_pages "JAVA_OPTS=-Xmx256m" "$launcher" bench --help)"
[ "$got" = no ] && pass "JAVA_OPTS replaces bench's huge pages" || fail "bench asks for huge pages despite JAVA_OPTS"

# A short training run of the default model's shape gets the quick compiler alone; a longer one, a
# larger model, a resumed run, another command or JAVA_OPTS keeps both compilers.
# Each case is "yes:" or "no:" and a command line: whether the launcher, run on it with an empty
# JAVA_OPTS, passes the JVM the option.
check_option_cases() {
  local option="$1" what="$2" case wanted_answer command_line got
  shift 2
  for case in "$@"; do
    wanted_answer="${case%%:*}"
    command_line="${case#*:}"
    # shellcheck disable=SC2086
    got="$(passes_option "$option" JAVA_OPTS= "$launcher" $command_line)"
    [ "$got" = "$wanted_answer" ] && pass "$command_line: $what: $got" \
      || fail "$command_line: $what: $got, wanted $wanted_answer"
  done
}
quick_compiler_only() { passes_option -XX:TieredStopAtLevel=1 "$@"; }
check_option_cases -XX:TieredStopAtLevel=1 "quick compiler only" \
  "yes:train" "yes:train --steps 1500 --data names.txt" "yes:train --steps=300" "yes:train --engine array" \
  "no:train --steps 1501" "no:train --steps=3000" "no:train --steps many" "no:train --n-embd 64" \
  "no:train --n-layer=2" "no:train --block-size 32" "no:train --resume run" "no:generate" "no:bench"
# The short run's young generation is 16 MB (less fresh memory to fault in), a longer or larger
# run's 64 MB, generate's 16 MB; bench has none of its own.
check_option_cases -Xmn16m "young generation of 16 MB" \
  "yes:train" "yes:train --steps=300" "yes:train --engine array" "yes:generate --model run" \
  "no:train --steps 1501" "no:train --n-embd 64" "no:train --resume run" "no:bench"
check_option_cases -Xmn64m "young generation of 64 MB" \
  "no:train" "no:train --steps 1500 --data names.txt" "yes:train --steps 1501" "yes:train --n-layer=2" \
  "yes:train --resume run" "no:generate --model run" "no:bench"
got="$(quick_compiler_only "JAVA_OPTS=-Xmx256m" "$launcher" train)"
[ "$got" = no ] && pass "JAVA_OPTS replaces train's quick compiler" || fail "train gets the quick compiler only despite JAVA_OPTS"

# train and generate move long-lived objects to the old generation at their second young
# collection; bench and the simulator keep the JVM's collector and its defaults, and JAVA_OPTS
# replaces the option.
check_option_cases -XX:MaxTenuringThreshold=1 "early tenuring" \
  "yes:train" "yes:train --steps 3000 --n-embd 64" "yes:generate --model run" "no:bench" "no:simulator --port 0"
got="$(passes_option -XX:MaxTenuringThreshold=1 "JAVA_OPTS=-Xmx256m" "$launcher" train)"
[ "$got" = no ] && pass "JAVA_OPTS replaces train's early tenuring" || fail "train gets early tenuring despite JAVA_OPTS"

# bench and the simulator get the Vector API's incubator module, except when they are asked only for
# their help or version (wherever -h, --help, -V or --version stands before a `--`): the module would
# add nothing but the JVM's "Using incubator modules" warning on stderr.
adds_vector_module() { passes_option jdk.incubator.vector "$@"; }
check_option_cases jdk.incubator.vector "incubator module" \
  "yes:bench" "yes:bench --seconds 1" "yes:simulator --port 0" "yes:bench -- --help" \
  "no:bench --help" "no:bench -h" "no:bench --seconds 1 --help" "no:bench -V" "no:bench --version" \
  "no:simulator --help" "no:simulator -h" "no:simulator --version" "no:help bench" "no:train" "no:--help"
got="$(adds_vector_module "JAVA_OPTS=-Xmx256m" "$launcher" bench)"
[ "$got" = yes ] && pass "JAVA_OPTS keeps bench's incubator module" || fail "JAVA_OPTS dropped bench's incubator module"
# With the real JVM: bench's and the simulator's help say only what java -jar prints, and nothing on stderr.
for command in bench simulator; do
  "$java" -jar "$scratch/microgpt-examples/target/microgpt.jar" "$command" --help > "$scratch/expected-help.txt" 2> /dev/null
  if env JAVA_OPTS= "$launcher" "$command" --help > "$scratch/out.txt" 2> "$scratch/err.txt" \
     && cmp -s "$scratch/expected-help.txt" "$scratch/out.txt" && [ ! -s "$scratch/err.txt" ]; then
    pass "$command --help: java -jar's help, nothing on stderr"
  else
    fail "$command --help: stdout $(cmp "$scratch/expected-help.txt" "$scratch/out.txt" 2>&1 | head -c 200), stderr $(head -c 300 "$scratch/err.txt")"
  fi
done

if [ "$failures" -ne 0 ]; then
  echo "launcher-test: $failures failure(s)" >&2
  exit 1
fi
echo "launcher-test: all passed"
