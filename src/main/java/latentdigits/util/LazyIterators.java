package latentdigits.util;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;

/** Iterators that pull from their source only as they are read, so a Spark task holds one batch, never its partition. */
public final class LazyIterators {
    private LazyIterators() {
    }

    /** Consecutive groups of up to {@code size} elements. */
    public static <T> Iterator<List<T>> batches(Iterator<T> source, int size) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return source.hasNext();
            }

            @Override
            public List<T> next() {
                if (!source.hasNext()) throw new NoSuchElementException();
                List<T> batch = new ArrayList<>(Math.min(size, 4096));
                while (batch.size() < size && source.hasNext()) batch.add(source.next());
                return batch;
            }
        };
    }

    /** Each element expanded into a list, one list at a time. */
    public static <T, R> Iterator<R> flatMap(Iterator<T> source, Function<T, List<R>> expand) {
        return new Iterator<>() {
            Iterator<R> current = Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!current.hasNext() && source.hasNext()) current = expand.apply(source.next()).iterator();
                return current.hasNext();
            }

            @Override
            public R next() {
                if (!hasNext()) throw new NoSuchElementException();
                return current.next();
            }
        };
    }
}
