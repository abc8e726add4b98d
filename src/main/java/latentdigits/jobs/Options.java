package latentdigits.jobs;

import latentdigits.util.UserError;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A job's flags. Defaults come from conf/JOB.properties (bundled in the jar; --defaults FILE swaps in another file),
 * and every flag overrides its default. Unknown flags, missing values and malformed numbers are rejected with the
 * flag's name and what was found.
 */
public final class Options {
    private final String job;
    private final String summary;
    private final Map<String, Spec> specs = new LinkedHashMap<>();
    /** Arguments without a flag (e.g. report's RUN...), when the job takes them: their name and help. */
    private Spec positional;

    record Spec(String name, String valueName, String help, boolean isSwitch) {
    }

    public Options(String job, String summary) {
        this.job = job;
        this.summary = summary;
        value("defaults", "FILE", "properties file with this job's defaults (default: conf/" + job + ".properties, bundled)");
    }

    public Options value(String name, String valueName, String help) {
        specs.put(name, new Spec(name, valueName, help, false));
        return this;
    }

    public Options toggle(String name, String help) {
        specs.put(name, new Spec(name, null, help, true));
        return this;
    }

    /** The job takes arguments that are not flags (one or more), e.g. report RUN... */
    public Options positional(String name, String help) {
        positional = new Spec(name, name, help, false);
        return this;
    }

    /** The flags every training job takes, with one meaning everywhere. */
    public Options trainingFlags() {
        return value("data", "DIR", "folder with the MNIST IDX files, raw or .gz (file:, hdfs:, s3a: ...)")
                .value("out", "DIR", "run directory to create (written to a hidden staging directory, renamed when complete)")
                .value("epochs", "N", "passes over the training images")
                .value("learning-rate", "LR", "Adam learning rate")
                .value("engine", "spark|jvm", "spark: trained by the Spark workers; jvm: the same steps in the driver, the one-trainer reference")
                .value("master", "URL", "Spark master when not run by spark-submit (default local[*])")
                .value("partitions", "P", "training shards = Spark workers; 0 = one per executor core")
                .value("train-limit", "N", "use only the first N training images (0 = all)")
                .value("seed", "S", "seed for initialisation, shuffling and every random draw of the training")
                .value("epochs-per-stage", "N", "epochs one Spark training stage trains, 0 for all; the numbers trained are the same whatever N is")
                .value("max-stage-attempts", "N", "Spark training stages started for one epoch: a stage that fails (a lost executor) starts again from the last finished epoch")
                .toggle("live", "serve the run's live page (curves so far, newest samples) on 127.0.0.1 while it trains; its address is printed")
                .value("live-port", "PORT", "the live page's port (0: any free one)")
                .toggle("resume", "continue the unfinished run of --out from its last finished epoch (the same command, plus --resume)")
                .toggle("overwrite", "replace --out if it already exists");
    }


    public String job() {
        return job;
    }

    /** Thrown for --help; the caller prints {@link #help()} and exits 0. */
    public static final class HelpRequested extends RuntimeException {
        HelpRequested() {
            super("help");
        }
    }

    public Args parse(String[] args) {
        Map<String, String> given = new LinkedHashMap<>();
        java.util.List<String> positionals = new java.util.ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) throw new HelpRequested();
            if (!a.startsWith("--")) {
                if (positional == null) throw new UserError("unexpected argument '" + a + "'; flags look like --name value (see ./submit.sh " + job + " --help)");
                positionals.add(a);
                continue;
            }
            String name = a.substring(2), value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            Spec spec = specs.get(name);
            if (spec == null) throw new UserError("--" + name + ": unknown flag for " + job + " (see ./submit.sh " + job + " --help)");
            if (spec.isSwitch()) {
                given.put(name, value == null ? "true" : value);
            } else {
                if (value == null) {
                    if (i + 1 >= args.length || args[i + 1].startsWith("--"))
                        throw new UserError("--" + name + ": expected a value (" + spec.valueName() + "), found none");
                    value = args[++i];
                }
                given.put(name, value);
            }
        }
        Properties defaults = loadDefaults(given.get("defaults"));
        Map<String, String> effective = new LinkedHashMap<>();
        for (String key : defaults.stringPropertyNames()) {
            if (!specs.containsKey(key))
                throw new UserError(source(given.get("defaults")) + ": unknown key '" + key + "' (not a flag of " + job + ")");
        }
        for (Spec spec : specs.values()) {
            if (spec.name().equals("defaults")) continue;
            String v = given.containsKey(spec.name()) ? given.get(spec.name()) : defaults.getProperty(spec.name());
            if (v != null) effective.put(spec.name(), v.trim());
        }
        if (positional != null && positionals.isEmpty())
            throw new UserError(positional.name() + ": expected at least one, found none (see ./submit.sh " + job + " --help)");
        return new Args(effective, positionals);
    }

    private String source(String confFile) {
        return confFile != null ? confFile : "conf/" + job + ".properties";
    }

    private Properties loadDefaults(String confFile) {
        Properties p = new Properties();
        try {
            if (confFile != null) {
                Path path = Path.of(confFile);
                if (!Files.exists(path)) throw new UserError("--defaults " + confFile + ": file not found");
                try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
                    p.load(r);
                }
            } else {
                try (InputStream in = Options.class.getResourceAsStream("/conf/" + job + ".properties")) {
                    if (in != null) p.load(in);
                }
            }
        } catch (IOException e) {
            throw new UserError(source(confFile) + ": cannot read: " + e.getMessage());
        }
        return p;
    }

    public String help() {
        Properties defaults = loadDefaults(null);
        StringBuilder sb = new StringBuilder();
        sb.append("Usage: ./submit.sh ").append(job).append(positional == null ? "" : " " + positional.name() + "...").append(" [flags]\n\n")
                .append(summary).append("\n\n");
        if (positional != null) sb.append("  ").append(positional.name()).append("...  ").append(positional.help()).append("\n\n");
        sb.append("Flags:\n");
        List<String[]> rows = new ArrayList<>();
        for (Spec s : specs.values()) {
            String left = "--" + s.name() + (s.isSwitch() ? "" : " " + s.valueName());
            String d = defaults.getProperty(s.name());
            rows.add(new String[]{left, s.help() + (d != null && !d.isBlank() ? " [default: " + d + "]" : "")});
        }
        rows.add(new String[]{"--help", "print this help and exit"});
        int width = rows.stream().mapToInt(r -> r[0].length()).max().orElse(10) + 2;
        for (String[] r : rows) sb.append("  ").append(String.format("%-" + width + "s", r[0])).append(r[1]).append('\n');
        sb.append("\nDefaults live in conf/").append(job).append(".properties; every flag overrides them.\n")
                .append("With --master spark://... (or yarn, k8s://...) submit.sh hands the job to spark-submit, with any of its options\n")
                .append("(--conf KEY=VALUE, --deploy-mode, --executor-memory ...: ./submit.sh --help); otherwise it runs on an embedded Spark (local[*]).\n");
        return sb.toString();
    }

    /** The effective values: conf defaults overridden by flags. */
    public static final class Args {
        private final Map<String, String> values;
        private final java.util.List<String> positionals;

        Args(Map<String, String> values) {
            this(values, java.util.List.of());
        }

        Args(Map<String, String> values, java.util.List<String> positionals) {
            this.values = values;
            this.positionals = java.util.List.copyOf(positionals);
        }

        /** The arguments given without a flag, in order. */
        public java.util.List<String> positionals() {
            return positionals;
        }

        public Map<String, String> effective() {
            return values;
        }

        public String get(String name) {
            return values.get(name);
        }

        public String require(String name) {
            String v = values.get(name);
            if (v == null || v.isBlank()) throw new UserError("--" + name + ": required, found none");
            return v;
        }

        public String getOr(String name, String fallback) {
            String v = values.get(name);
            return v == null || v.isBlank() ? fallback : v;
        }

        public boolean flag(String name) {
            String v = values.getOrDefault(name, "false");
            if (v.equals("true")) return true;
            if (v.equals("false")) return false;
            throw new UserError("--" + name + ": expected true or false, found '" + v + "'");
        }

        public int integer(String name, int min) {
            long v = longValue(name, min);
            if (v > Integer.MAX_VALUE) throw new UserError("--" + name + ": expected at most " + Integer.MAX_VALUE + ", found " + v);
            return (int) v;
        }

        public long longValue(String name, long min) {
            String v = require(name);
            long parsed;
            try {
                parsed = Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw new UserError("--" + name + ": expected an integer, found '" + v + "'");
            }
            if (parsed < min) throw new UserError("--" + name + ": expected at least " + min + ", found " + parsed);
            return parsed;
        }

        public double number(String name) {
            String v = require(name);
            try {
                double d = Double.parseDouble(v);
                if (!Double.isFinite(d)) throw new NumberFormatException();
                return d;
            } catch (NumberFormatException e) {
                throw new UserError("--" + name + ": expected a number, found '" + v + "'");
            }
        }
    }
}
