package latentdigits.jobs;

import latentdigits.util.HadoopFs;
import latentdigits.util.Json;
import latentdigits.util.RunDirectory;
import latentdigits.util.UserError;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a job does about what its --out already holds: the contract a scheduler relies on to rerun a task safely.
 * <ul>
 * <li>a finished run made by the same job with the same effective configuration: nothing to do (exit 0 at once);</li>
 * <li>an unfinished run (a checkpoint in its staging directory) with the same configuration: it is continued;</li>
 * <li>either with another configuration: refused, naming what differs (exit 2), unless --overwrite;</li>
 * <li>--resume asks for an unfinished run, and is refused when there is none.</li>
 * </ul>
 * An --out that equals, contains or lies inside one of the job's inputs is refused before anything is touched, and
 * its file system must be known and writable.
 */
final class RunOutput {
    /** Flags that change nothing a run computes, so a rerun may differ in them. */
    static final Set<String> NOT_COMPARED = Set.of("resume", "overwrite", "master", "max-stage-attempts", "epochs-per-stage", "live", "live-port");

    enum State { FRESH, CONTINUED, COMPLETE }

    /** An opened --out: what the job finds there, and the directory it writes (open unless {@link State#COMPLETE}). */
    record Opened(RunDirectory run, State state) {
        boolean complete() {
            return state == State.COMPLETE;
        }
    }

    private RunOutput() {
    }

    /** Opens --out for {@code job} as this class's contract says; {@code inputs} are the paths the job reads. */
    static Opened open(String job, Options.Args a, Configuration conf, List<String> inputs) throws IOException {
        String out = a.require("out");
        refuseOverlap("--out", out, inputs, conf);
        RunDirectory run = RunDirectory.open(out, conf);
        try {
            boolean overwrite = a.flag("overwrite"), resume = "true".equals(a.get("resume"));
            if (run.finished() && !overwrite) {
                List<String> differences = differences(job, a, run.readFinished("config.json"));
                if (!differences.isEmpty())
                    throw new UserError("--out " + out + ": holds a finished run made with another configuration (" + String.join("; ", differences)
                            + "); choose another --out, or pass --overwrite to replace it");
                run.close();
                return new Opened(run, State.COMPLETE);
            }
            Integer epochs = run.unfinishedEpochs();
            if (epochs != null && !overwrite) {
                List<String> differences = differences(job, a, run.readUnfinished("config.json"));
                if (!differences.isEmpty())
                    throw new UserError("--out " + out + ": an unfinished run (epochs 1-" + epochs + " done, in " + run.stagingPath()
                            + ") was made with another configuration (" + String.join("; ", differences) + "); pass --overwrite to start over");
                run.continueUnfinished();
                return new Opened(run, State.CONTINUED);
            }
            if (resume) throw new UserError("--resume: no unfinished run of --out " + out + " to continue (no checkpoint in " + run.stagingPath() + ")");
            run.startFresh(overwrite);
            return new Opened(run, State.FRESH);
        } catch (IOException | RuntimeException e) {
            run.close();
            throw e;
        }
    }

    /**
     * The same contract for a job whose output is one file (sample, score): {@code record} is where the job records
     * its effective configuration (a sidecar, or the file itself). Returns null when the file is complete already;
     * otherwise the output's lock, which the job holds while it writes.
     */
    static latentdigits.util.OutputLock openFile(String job, String flag, Options.Args a, String record, Configuration conf, List<String> inputs)
            throws IOException {
        String out = a.require(flag.substring(2));
        refuseOverlap(flag, out, inputs, conf);
        Path target = new Path(out);
        FileSystem fs = HadoopFs.forOutput(target, flag, conf);
        target = fs.makeQualified(target);
        HadoopFs.requireWritable(fs, target.getParent(), flag, target);
        latentdigits.util.OutputLock lock = latentdigits.util.OutputLock.acquire(fs, target, flag);
        try {
            if (fs.exists(target) && !a.flag("overwrite")) {
                byte[] recorded = HadoopFs.readIfExists(fs, new Path(record));
                List<String> differences = differences(job, a, recorded);
                if (!differences.isEmpty())
                    throw new UserError(flag + " " + out + ": exists, made " + (recorded == null ? "by something else" : "with another configuration ("
                            + String.join("; ", differences) + ")") + "; choose another file, or pass --overwrite to replace it");
                System.out.println(job + ": " + out + " is complete already (made with the same configuration); nothing to do");
                lock.close();
                return null;
            }
            return lock;
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** A file's bytes, or null when there is none. */
    /** {@code {"job", "config", "provenance"}}: what a job records of how it made its output. */
    static Map<String, Object> record(String job, Options.Args a, Map<String, Object> provenance) {
        Map<String, Object> config = new java.util.LinkedHashMap<>();
        config.put("job", job);
        config.put("config", a.effective());
        config.put("provenance", provenance);
        return config;
    }

    /** What differs between the run recorded in {@code configJson} and this job's flags; empty when nothing does. */
    @SuppressWarnings("unchecked")
    static List<String> differences(String job, Options.Args a, byte[] configJson) {
        if (configJson == null) return List.of("it holds no config.json: not a run of this job");
        Map<String, Object> recorded = Json.parse(new String(configJson, StandardCharsets.UTF_8));
        List<String> differences = new ArrayList<>();
        if (!job.equals(recorded.get("job"))) differences.add("a run of " + recorded.get("job") + ", not of " + job);
        Map<String, Object> was = (Map<String, Object>) recorded.getOrDefault("config", Map.of());
        Set<String> keys = new TreeSet<>(was.keySet());
        keys.addAll(a.effective().keySet());
        for (String key : keys) {
            if (NOT_COMPARED.contains(key)) continue;
            Object then = was.get(key), now = a.effective().get(key);
            if (then == null ? now != null : !then.toString().equals(String.valueOf(now)))
                differences.add("--" + key + " " + then + " then, " + now + " now");
        }
        return differences;
    }

    /**
     * Refuses an output that equals, contains or lies inside an input: writing it would delete or change what the job
     * reads (an encode --out naming the training run its model comes from, say).
     */
    static void refuseOverlap(String flag, String out, List<String> inputs, Configuration conf) {
        Path target = qualified(out, flag, conf);
        for (String input : inputs) {
            if (input == null || input.isBlank()) continue;
            Path in = qualified(input, "input", conf);
            String o = target.toString() + "/", i = in.toString() + "/";
            if (o.equals(i) || i.startsWith(o) || o.startsWith(i))
                throw new UserError(flag + " " + out + ": " + (o.equals(i) ? "is" : i.startsWith(o) ? "contains" : "lies inside") + " the job's input "
                        + input + "; choose an --out apart from what the job reads");
        }
    }

    private static Path qualified(String path, String flag, Configuration conf) {
        Path p = new Path(path);
        FileSystem fs = HadoopFs.forOutput(p, flag, conf);
        return fs.makeQualified(p);
    }
}
