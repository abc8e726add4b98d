#!/usr/bin/env bash
# Runs a job of this project:  ./submit.sh JOB [spark-submit options] [job flags]   (./submit.sh JOB --help: the job's flags)
#
# Without a cluster master the job runs on an embedded Spark (local[*], bound to 127.0.0.1, UI off) in one JVM.
# With --master spark://HOST:PORT, yarn or k8s://... it hands the uber jar to spark-submit (from PATH or $SPARK_HOME; else
# Spark's SparkSubmit from the Maven jars) with conf/spark-defaults.conf. spark-submit's own options pass through:
# --conf KEY=VALUE, --deploy-mode, --executor-memory, --executor-cores, --num-executors, --total-executor-cores, --jars ...
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

die() { echo "submit.sh: $*" >&2; exit 2; }

list_jobs() {
  echo "Usage: ./submit.sh JOB [spark-submit options] [flags]      (./submit.sh JOB --help lists the job's flags)"
  echo
  echo "Jobs:"
  for f in jobs/*.job; do
    printf '  %-17s %s\n' "$(basename "$f" .job)" "$(sed -n '1s/^# [^:]*: //p' "$f")"
  done
  echo
  echo "spark-submit options (any job that runs Spark): --master URL, --deploy-mode client|cluster, --conf KEY=VALUE,"
  echo "  --properties-file FILE, --driver-memory, --driver-java-options, --executor-memory, --executor-cores, --num-executors,"
  echo "  --total-executor-cores, --jars, --packages, --repositories, --files, --archives, --queue, --name, --principal, --keytab,"
  echo "  --proxy-user, --supervise, --verbose. Without a cluster --master only --conf, --driver-memory and --driver-java-options apply."
}

[ $# -ge 1 ] || { list_jobs; exit 2; }
case "$1" in -h|--help|help) list_jobs; exit 0 ;; esac
JOB="$1"; shift
# The command as typed, so a failed run can print the command that continues it (the job adds --resume).
TYPED="$(printf '%q ' ./submit.sh "$JOB" "$@")"
JOBFILE="jobs/$JOB.job"
[ -f "$JOBFILE" ] || { list_jobs >&2; die "unknown job '$JOB' (expected one of: $(ls jobs | sed 's/\.job$//' | tr '\n' ' '))"; }
MAIN="$(sed -n 's/^main=//p' "$JOBFILE")"
USES_SPARK="$(sed -n 's/^spark=//p' "$JOBFILE")"

# Split the arguments: spark-submit's options here, the job's flags for the job.
MASTER=""; DEPLOY_MODE=client; PROPERTIES_FILE=""; DRIVER_MEMORY=""; DRIVER_JAVA_OPTIONS=""
SPARK_CONFS=(); SPARK_OPTS=(); JOB_ARGS=()
while [ $# -gt 0 ]; do
  arg="$1"; name="${arg%%=*}"; inline=""
  [[ "$arg" == --*=* ]] && inline="${arg#*=}"
  case "$name" in
    --master|--deploy-mode|--conf|-c|--properties-file|--driver-memory|--driver-java-options|--driver-library-path|--driver-class-path|--driver-cores|\
    --executor-memory|--executor-cores|--num-executors|--total-executor-cores|--jars|--packages|--exclude-packages|--repositories|\
    --files|--archives|--queue|--name|--principal|--keytab|--proxy-user)
      if [ -n "$inline" ] || [[ "$arg" == *=* ]]; then value="$inline"; shift
      else [ $# -ge 2 ] || die "$name: expected a value, found none"; value="$2"; shift 2; fi
      [ "$USES_SPARK" = true ] || die "$name: the $JOB job runs in a plain JVM, without Spark (see ./submit.sh $JOB --help)"
      case "$name" in
        --master) MASTER="$value" ;;
        --deploy-mode) [[ "$value" == client || "$value" == cluster ]] || die "--deploy-mode: expected client or cluster, found '$value'"; DEPLOY_MODE="$value" ;;
        --conf|-c) [[ "$value" == *=* ]] || die "--conf: expected KEY=VALUE (a Spark setting), found '$value' (the job's defaults file is --defaults FILE)"
                   SPARK_CONFS+=("$value") ;;
        --properties-file) [ -f "$value" ] || die "--properties-file $value: file not found"; PROPERTIES_FILE="$value" ;;
        --driver-memory) DRIVER_MEMORY="$value" ;;
        --driver-java-options) DRIVER_JAVA_OPTIONS="$value" ;;
        *) SPARK_OPTS+=("$name" "$value") ;;
      esac ;;
    --supervise|--verbose)
      [ "$USES_SPARK" = true ] || die "$name: the $JOB job runs in a plain JVM, without Spark"
      SPARK_OPTS+=("$arg"); shift ;;
    *) JOB_ARGS+=("$arg"); shift ;;
  esac
done

CLUSTER=false
[ -n "$MASTER" ] && [[ "$MASTER" != local* ]] && CLUSTER=true
if [ "$CLUSTER" = false ]; then
  [ "$DEPLOY_MODE" = client ] || die "--deploy-mode cluster needs a cluster --master (spark://, yarn, k8s://); the embedded Spark runs in this JVM"
  [ -z "$PROPERTIES_FILE" ] || die "--properties-file needs a cluster --master; use --conf KEY=VALUE for the embedded Spark"
  [ ${#SPARK_OPTS[@]} -eq 0 ] || die "${SPARK_OPTS[0]}: needs a cluster --master (spark://, yarn, k8s://); the embedded Spark runs in this JVM"
fi

# The JVM flags every job needs (Java 17 openings for Spark, ND4J and JavaCPP settings) are kept in one place,
# conf/spark-defaults.conf's spark.driver.extraJavaOptions, with why each is there; spark-submit reads the same file.
conf_value() { sed -n "s/^$1[[:space:]]*//p" "${2:-conf/spark-defaults.conf}" | tail -n 1; }
read -ra SPARK_JAVA_FLAGS <<< "$(conf_value 'spark\.driver\.extraJavaOptions')"
[ "${#SPARK_JAVA_FLAGS[@]}" -gt 0 ] || die "conf/spark-defaults.conf: found no spark.driver.extraJavaOptions line (expected the JVM flags every job needs)"

# Build when the jar is missing or older than any source, conf or job file.
JAR=target/latent-digits-spark.jar
if [ ! -f "$JAR" ] || [ ! -f target/classpath.txt ] || [ -n "$(find pom.xml src/main conf jobs -newer "$JAR" -type f 2>/dev/null | head -1)" ]; then
  command -v mvn >/dev/null || die "mvn not found: install Maven 3.8+ and Java 17 (e.g. apt-get install maven openjdk-17-jdk)"
  echo "submit.sh: building (mvn package, tests skipped) ..." >&2
  mvn -B -q package -DskipTests >&2 || die "build failed (mvn -B package -DskipTests)"
fi

GIT_COMMIT="$(git rev-parse --verify -q HEAD 2>/dev/null)" || GIT_COMMIT=unknown
if [ "$GIT_COMMIT" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then GIT_COMMIT="$GIT_COMMIT-dirty"; fi

export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"

if [ "$CLUSTER" = true ]; then
  # A cluster: the driver's address is Spark's own choice (host name, SPARK_LOCAL_IP, spark.driver.host), never loopback.
  # The project's JVM flags go first; a user's spark.{driver,executor}.extraJavaOptions add to them.
  DRIVER_FLAGS="${SPARK_JAVA_FLAGS[*]} -Dlatentdigits.git.commit=$GIT_COMMIT"
  [ "$DEPLOY_MODE" = client ] && DRIVER_FLAGS="$DRIVER_FLAGS -Dlog4j.configurationFile=$HERE/conf/log4j2.properties"
  EXECUTOR_FLAGS="$(conf_value 'spark\.executor\.extraJavaOptions')"
  # --properties-file adds to conf/spark-defaults.conf (its keys win, and --conf's win over both), as a profile such as
  # conf/spark-secure.conf expects: its KEY VALUE lines become --conf settings.
  FILE_CONFS=()
  if [ -n "$PROPERTIES_FILE" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      line="${line#"${line%%[![:space:]]*}"}"
      [[ -z "$line" || "$line" == \#* || "$line" == \!* ]] && continue
      key="${line%%[[:space:]=]*}"; value="${line#"$key"}"; value="${value#"${value%%[![:space:]=]*}"}"
      FILE_CONFS+=("$key=$value")
    done < "$PROPERTIES_FILE"
  fi
  CONFS=(--conf "spark.latentdigits.command=${TYPED% }")
  for kv in ${FILE_CONFS[@]+"${FILE_CONFS[@]}"} ${SPARK_CONFS[@]+"${SPARK_CONFS[@]}"}; do
    case "$kv" in
      spark.driver.extraJavaOptions=*) DRIVER_FLAGS="$DRIVER_FLAGS ${kv#*=}" ;;
      spark.executor.extraJavaOptions=*) EXECUTOR_FLAGS="$EXECUTOR_FLAGS ${kv#*=}" ;;
      *) CONFS+=(--conf "$kv") ;;
    esac
  done
  [ -n "$DRIVER_JAVA_OPTIONS" ] && DRIVER_FLAGS="$DRIVER_FLAGS $DRIVER_JAVA_OPTIONS"
  # A scheduler (Airflow) needs the job's end, not its submission: standalone's cluster mode returns at once otherwise.
  [ "$DEPLOY_MODE" = cluster ] && [[ "$MASTER" == spark://* ]] && CONFS=(--conf spark.standalone.submit.waitAppCompletion=true "${CONFS[@]}")
  SUBMIT_ARGS=(--master "$MASTER" --deploy-mode "$DEPLOY_MODE" --properties-file conf/spark-defaults.conf
    --conf "spark.driver.extraJavaOptions=$DRIVER_FLAGS" --conf "spark.executor.extraJavaOptions=$EXECUTOR_FLAGS"
    ${CONFS[@]+"${CONFS[@]}"} ${SPARK_OPTS[@]+"${SPARK_OPTS[@]}"})
  [ -n "$DRIVER_MEMORY" ] && SUBMIT_ARGS+=(--driver-memory "$DRIVER_MEMORY")
  # In cluster deploy mode the driver's host must reach the jar: LATENTDIGITS_JAR may name a copy on hdfs:, s3a: ...
  SUBMIT_ARGS+=(--class "$MAIN" "${LATENTDIGITS_JAR:-$JAR}")
  if command -v spark-submit >/dev/null; then
    SUBMIT=(spark-submit)
  elif [ -n "${SPARK_HOME:-}" ] && [ -x "$SPARK_HOME/bin/spark-submit" ]; then
    SUBMIT=("$SPARK_HOME/bin/spark-submit")
  else
    # No Spark installation: Spark's own SparkSubmit from the Maven jars; in client mode the driver is this JVM.
    export SPARK_SCALA_VERSION=2.12
    SUBMIT=(java "${SPARK_JAVA_FLAGS[@]}" -Xmx"${DRIVER_MEMORY:-${LATENTDIGITS_DRIVER_HEAP:-4g}}" -Dlatentdigits.git.commit="$GIT_COMMIT"
      -Dlog4j.configurationFile="$HERE/conf/log4j2.properties" -cp "$(cat target/classpath.txt)" org.apache.spark.deploy.SparkSubmit)
  fi
  if [ "$DEPLOY_MODE" = cluster ] && [[ "$MASTER" == spark://* ]]; then
    # Standalone's client exits 0 however the driver it launched ended; its last report says how, and that decides.
    REPORT="$(mktemp "${TMPDIR:-/tmp}/latent-digits-submit.XXXXXX")"
    trap 'rm -f "$REPORT"' EXIT
    set +e
    "${SUBMIT[@]}" "${SUBMIT_ARGS[@]}" ${JOB_ARGS[@]+"${JOB_ARGS[@]}"} 2>&1 | tee "$REPORT"
    rc=${PIPESTATUS[0]}
    set -e
    state="$(grep -o 'State of driver [^ ]* is [A-Z]*' "$REPORT" | tail -n 1)"
    [ "$rc" -eq 0 ] || exit "$rc"
    [[ "$state" == *" is FINISHED" ]] && exit 0
    echo "submit.sh: ${state:-the end of the driver was not reported} (the job's own output is in the worker's work directory, DRIVER-ID/stderr)" >&2
    exit 1
  fi
  exec "${SUBMIT[@]}" "${SUBMIT_ARGS[@]}" ${JOB_ARGS[@]+"${JOB_ARGS[@]}"}
fi

# The embedded Spark (or a plain JVM): everything bound to loopback. --conf KEY=VALUE become system properties, which
# Spark reads as its settings; cluster-only options are refused rather than ignored.
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
PROPS=("-Dspark.latentdigits.command=${TYPED% }")
for kv in ${SPARK_CONFS[@]+"${SPARK_CONFS[@]}"}; do PROPS+=("-D$kv"); done
[ -n "$MASTER" ] && JOB_ARGS=(--master "$MASTER" ${JOB_ARGS[@]+"${JOB_ARGS[@]}"})
HEAP="${DRIVER_MEMORY:-${LATENTDIGITS_HEAP:-8g}}"
THIN_JAR="$(ls target/latent-digits-[0-9]*.jar 2>/dev/null | head -n 1)"
[ -n "$THIN_JAR" ] || die "target/latent-digits-VERSION.jar not found: run mvn package"
CLASSPATH_EMBEDDED="$THIN_JAR:$(cat target/classpath.txt)"
# Class-data sharing: the classes the jobs load (Spark's, DL4J's, Scala's) are mapped from an archive made once per
# build by a warm-up run, instead of being read and verified from the jars at every launch (~2 s of a job's start).
# The JVM checks the archive against the classpath and ignores it if they differ. LATENTDIGITS_CDS=off: no archive.
CDS_FLAGS=()
if [ "${LATENTDIGITS_CDS:-on}" != off ]; then
  ARCHIVE=target/latent-digits-classes.jsa
  if [ ! -s "$ARCHIVE" ] || [ "$THIN_JAR" -nt "$ARCHIVE" ] || [ target/classpath.txt -nt "$ARCHIVE" ]; then
    echo "submit.sh: making the class-data archive $ARCHIVE (once per build) ..." >&2
    PARTIAL="$ARCHIVE.$$"
    if java "${SPARK_JAVA_FLAGS[@]}" -Xmx"$HEAP" -XX:ArchiveClassesAtExit="$PARTIAL" -Xlog:cds=off -Xlog:cds+dynamic=off \
        -Dlog4j.configurationFile="$HERE/conf/log4j2.properties" -cp "$CLASSPATH_EMBEDDED" latentdigits.runtime.ClassDataWarmUp >/dev/null 2>&1 \
        && [ -s "$PARTIAL" ]; then
      mv -f "$PARTIAL" "$ARCHIVE"
    else
      rm -f "$PARTIAL"; echo "submit.sh: no class-data archive (the warm-up failed); jobs start without it" >&2
    fi
  fi
  [ -s "$ARCHIVE" ] && CDS_FLAGS=(-XX:SharedArchiveFile="$ARCHIVE" -Xlog:cds=off -Xlog:cds+dynamic=off)
fi
# Extra flags for this JVM (e.g. -Xlog:gc or a JDK Flight Recorder recording), after the project's own.
read -ra EXTRA_JAVA_FLAGS <<< "${LATENTDIGITS_JAVA_OPTS:-} $DRIVER_JAVA_OPTIONS"
exec java "${SPARK_JAVA_FLAGS[@]}" -Xmx"$HEAP" ${CDS_FLAGS[@]+"${CDS_FLAGS[@]}"} ${EXTRA_JAVA_FLAGS[@]+"${EXTRA_JAVA_FLAGS[@]}"} \
  ${PROPS[@]+"${PROPS[@]}"} -Dlatentdigits.git.commit="$GIT_COMMIT" -Dlog4j.configurationFile="$HERE/conf/log4j2.properties" \
  -cp "$CLASSPATH_EMBEDDED" "$MAIN" ${JOB_ARGS[@]+"${JOB_ARGS[@]}"}
