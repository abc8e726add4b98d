package latentdigits.runtime;

import latentdigits.util.Progress;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/** A Spark job's tasks as terminal progress ("encode: 40/100 tasks (40%), 12.3 s"), for the jobs that are not training. */
public final class SparkProgress extends SparkListener implements AutoCloseable {
    private final SparkContext sc;
    private final Progress progress;
    private boolean closed;

    private SparkProgress(SparkContext sc, String job) {
        this.sc = sc;
        this.progress = new Progress(job, "Spark tasks", 0);
    }

    public static SparkProgress watch(SparkContext sc, String job) {
        SparkProgress p = new SparkProgress(sc, job);
        sc.addSparkListener(p);
        return p;
    }

    @Override
    public void onStageSubmitted(SparkListenerStageSubmitted stage) {
        progress.addToTotal(stage.stageInfo().numTasks());
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd task) {
        progress.advance(1);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        sc.removeSparkListener(this);
        progress.finish();
    }
}
