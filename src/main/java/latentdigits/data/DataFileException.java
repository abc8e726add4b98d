package latentdigits.data;

/** A data file that is missing, malformed or inconsistent; the message names the file, what was expected and what was found. */
public class DataFileException extends RuntimeException {
    public DataFileException(String message) {
        super(message);
    }

    public DataFileException(String message, Throwable cause) {
        super(message, cause);
    }

    static DataFileException of(String file, String expected, String found) {
        return new DataFileException(file + ": expected " + expected + ", found " + found);
    }
}
