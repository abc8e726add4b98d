#!/usr/bin/env bash
# Runs a job of this project: ./submit.sh JOB [flags]   (./submit.sh JOB --help for its flags)
#
# Without a cluster master it runs the job on an embedded Spark (local[*], bound to 127.0.0.1, UI off) in one JVM.
# With --master spark://HOST:PORT (or yarn, k8s://...) it hands the uber jar to spark-submit with
# conf/spark-defaults.conf (spark-submit from PATH or $SPARK_HOME; else Spark's SparkSubmit from the Maven jars).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

die() { echo "submit.sh: $*" >&2; exit 2; }

list_jobs() {
  echo "Usage: ./submit.sh JOB [flags]      (./submit.sh JOB --help lists the job's flags)"
  echo
  echo "Jobs:"
  for f in jobs/*.job; do
    printf '  %-12s %s\n' "$(basename "$f" .job)" "$(sed -n '1s/^# [^:]*: //p' "$f")"
  done
}

[ $# -ge 1 ] || { list_jobs; exit 2; }
case "$1" in -h|--help|help) list_jobs; exit 0 ;; esac
JOB="$1"; shift
JOBFILE="jobs/$JOB.job"
[ -f "$JOBFILE" ] || { list_jobs >&2; die "unknown job '$JOB' (expected one of: $(ls jobs | sed 's/\.job$//' | tr '\n' ' '))"; }
MAIN="$(sed -n 's/^main=//p' "$JOBFILE")"

# The JVM flags every job needs (Java 17 openings for Spark, ND4J and JavaCPP settings) are kept in one place,
# conf/spark-defaults.conf's spark.driver.extraJavaOptions, with why each is there; spark-submit reads the same file.
read -ra SPARK_JAVA_FLAGS <<< "$(sed -n 's/^spark\.driver\.extraJavaOptions[[:space:]]*//p' conf/spark-defaults.conf)"
[ "${#SPARK_JAVA_FLAGS[@]}" -gt 0 ] || die "conf/spark-defaults.conf: found no spark.driver.extraJavaOptions line (expected the JVM flags every job needs)"

# Build when the jar is missing or older than any source, conf or job file.
JAR=target/latent-digits-spark.jar
if [ ! -f "$JAR" ] || [ ! -f target/classpath.txt ] || [ -n "$(find pom.xml src conf jobs -newer "$JAR" -type f 2>/dev/null | head -1)" ]; then
  command -v mvn >/dev/null || die "mvn not found: install Maven 3.8+ and Java 17 (e.g. apt-get install maven openjdk-17-jdk)"
  echo "submit.sh: building (mvn package, tests skipped) ..." >&2
  mvn -B -q package -DskipTests >&2 || die "build failed (mvn -B package -DskipTests)"
fi

GIT_COMMIT="$(git rev-parse --verify -q HEAD 2>/dev/null)" || GIT_COMMIT=unknown
if [ "$GIT_COMMIT" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then GIT_COMMIT="$GIT_COMMIT-dirty"; fi

MASTER=""
prev=""
for a in "$@"; do
  case "$a" in --master=*) MASTER="${a#--master=}" ;; esac
  [ "$prev" = "--master" ] && MASTER="$a"
  prev="$a"
done

export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"

if [ -n "$MASTER" ] && [[ "$MASTER" != local* ]]; then
  SUBMIT_ARGS=(--master "$MASTER" --deploy-mode client --properties-file conf/spark-defaults.conf
    --conf "spark.driver.extraJavaOptions=${SPARK_JAVA_FLAGS[*]} -Dlatentdigits.git.commit=$GIT_COMMIT -Dlog4j.configurationFile=$HERE/conf/log4j2.properties"
    --class "$MAIN" "$JAR")
  if command -v spark-submit >/dev/null; then
    exec spark-submit "${SUBMIT_ARGS[@]}" "$@"
  elif [ -n "${SPARK_HOME:-}" ] && [ -x "$SPARK_HOME/bin/spark-submit" ]; then
    exec "$SPARK_HOME/bin/spark-submit" "${SUBMIT_ARGS[@]}" "$@"
  else
    # No Spark installation: Spark's own SparkSubmit from the Maven jars; in client mode the driver is this JVM.
    export SPARK_SCALA_VERSION=2.12
    exec java "${SPARK_JAVA_FLAGS[@]}" -Xmx"${LATENTDIGITS_DRIVER_HEAP:-4g}" -Dlatentdigits.git.commit="$GIT_COMMIT" \
      -Dlog4j.configurationFile="$HERE/conf/log4j2.properties" \
      -cp "$(cat target/classpath.txt)" org.apache.spark.deploy.SparkSubmit "${SUBMIT_ARGS[@]}" "$@"
  fi
fi

# Extra flags for this JVM (e.g. -Xlog:gc or a JDK Flight Recorder recording), after the project's own.
read -ra EXTRA_JAVA_FLAGS <<< "${LATENTDIGITS_JAVA_OPTS:-}"
exec java "${SPARK_JAVA_FLAGS[@]}" -Xmx"${LATENTDIGITS_HEAP:-8g}" ${EXTRA_JAVA_FLAGS[@]+"${EXTRA_JAVA_FLAGS[@]}"} -Dlatentdigits.git.commit="$GIT_COMMIT" \
  -Dlog4j.configurationFile="$HERE/conf/log4j2.properties" \
  -cp "target/classes:$(cat target/classpath.txt)" "$MAIN" "$@"
