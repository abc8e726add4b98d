package latentdigits.testing;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** ND4J's default data types set to double for each test (GradientCheckUtil requires it) and restored after. */
public final class DoublePrecision implements BeforeEachCallback, AfterEachCallback {
    private DataType previous;

    @Override
    public void beforeEach(ExtensionContext context) {
        previous = Nd4j.dataType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Nd4j.setDefaultDataTypes(previous, previous);
    }
}
