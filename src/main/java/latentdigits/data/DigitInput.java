package latentdigits.data;

import org.apache.spark.api.java.JavaRDD;

import java.util.Map;

/**
 * A digit set to encode, whatever holds it (IDX files, a Parquet table, a tree of image files): its records in
 * partitions, read lazily by the executors, one at a time, with positions 0 .. count-1 that stay the same from one run
 * to the next over the same input.
 */
public interface DigitInput {
    /** How many records (good and bad) {@link #records()} gives. */
    long count();

    JavaRDD<DigitRecord> records();

    /** What was read, for summary.json and config.json: path, format, files, bytes, newest modification time. */
    Map<String, Object> describe();
}
