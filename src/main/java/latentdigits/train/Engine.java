package latentdigits.train;

/** Where a model trains: on Spark (the workers of a barrier stage or DL4J's rounds), or in this JVM as the reference. */
public enum Engine {
    SPARK, JVM
}
