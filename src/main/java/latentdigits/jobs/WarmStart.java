package latentdigits.jobs;

import latentdigits.data.MnistFetcher;
import latentdigits.model.GanModel;
import latentdigits.model.ModelFiles;
import latentdigits.model.VaeModel;
import latentdigits.train.Checkpoint;
import latentdigits.train.NetworkState;
import latentdigits.util.HadoopFs;
import latentdigits.util.UserError;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * --init-from: a training run that starts from a trained model instead of random weights (last week's published
 * model, say). The model must be of the same kind and architecture as the run's; what it came from is recorded in the
 * run's provenance. From a run directory (or a published copy of one) the last checkpoint gives every network's full
 * state, the GAN's discriminator and its Adam state included; from a bare model.zip, what that file holds (a GAN's
 * model.zip carries D's weights inside G, but not D's Adam state).
 *
 * @param networks   the states to load, in the trainer's order
 * @param provenance what the run records as "init_from"
 */
record WarmStart(List<NetworkState> networks, Map<String, Object> provenance) {

    /**
     * The warm start --init-from names for a model {@code kind} whose architecture metadata must equal {@code expected};
     * empty when the flag is not given, or names a published model set's "latest" that nothing was published to yet
     * (the first run of a schedule starts from random weights, and says so).
     */
    static Optional<WarmStart> of(Options.Args a, String kind, Map<String, Object> expected, Configuration conf) throws IOException {
        String given = a.get("init-from");
        if (given == null || given.isBlank()) return Optional.empty();
        String resolved = ModelFiles.resolve(given, conf);
        if (resolved == null) {
            if (new Path(given).getName().equals(ModelFiles.LATEST)) {
                System.out.println("--init-from " + given + ": nothing published yet; training starts from random weights");
                return Optional.empty();
            }
            throw new UserError("--init-from " + given + ": file not found");
        }
        byte[] zip = ModelFiles.readBytes(given, "--init-from", conf);
        ModelFiles.Loaded loaded = ModelFiles.fromBytes(zip, given);
        Map<String, Object> metadata = ModelFiles.requireKind(loaded, kind, "a " + kind.toUpperCase() + " model", "--init-from " + given);
        for (Map.Entry<String, Object> e : expected.entrySet())
            if (!String.valueOf(e.getValue()).equals(String.valueOf(metadata.get(e.getKey()))))
                throw new UserError("--init-from " + given + ": a model with " + e.getKey() + " " + metadata.get(e.getKey()) + ", this run trains "
                        + e.getKey() + " " + e.getValue() + " (its architecture must match)");
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("path", given);
        provenance.put("model", resolved);
        provenance.put("sha256", MnistFetcher.sha256(new ByteArrayInputStream(zip)));
        List<NetworkState> networks = lastCheckpoint(new Path(resolved).getParent(), conf, provenance);
        if (networks == null) {
            if (kind.equals(GanModel.KIND)) {
                GanModel gan = GanModel.fromLoaded(loaded, given);
                networks = NetworkState.ofAll(gan.generator(), gan.discriminator());
            } else {
                networks = NetworkState.ofAll(VaeModel.fromLoaded(loaded, given).graph());
            }
            provenance.put("state", "model.zip");
        }
        return Optional.of(new WarmStart(networks, provenance));
    }

    /** The networks of the last checkpoint beside the model (a run directory keeps its last epochs'), or null. */
    private static List<NetworkState> lastCheckpoint(Path runDirectory, Configuration conf, Map<String, Object> provenance) throws IOException {
        Path dir = new Path(runDirectory, "checkpoint");
        FileSystem fs = HadoopFs.of(dir, conf);
        if (!fs.exists(dir)) return null;
        Optional<FileStatus> newest = Arrays.stream(fs.listStatus(dir)).filter(s -> s.getPath().getName().matches("epoch-\\d{5}\\.bin"))
                .max(Comparator.comparing(s -> s.getPath().getName()));
        if (newest.isEmpty()) return null;
        try (InputStream in = fs.open(newest.get().getPath())) {
            Checkpoint checkpoint = Checkpoint.fromBytes(in.readAllBytes(), newest.get().getPath().toString());
            provenance.put("state", "checkpoint of epoch " + checkpoint.epoch());
            return checkpoint.networks();
        }
    }
}
