package latentdigits.train;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GanStepsTest {
    @Test
    void labelNoiseStaysWithinItsBounds() {
        INDArray real = GanSteps.realLabels(2000, 0.1), fake = GanSteps.fakeLabels(2000, 0.1);
        assertTrue(real.minNumber().doubleValue() >= 0.9 && real.maxNumber().doubleValue() <= 1.0);
        assertTrue(fake.minNumber().doubleValue() >= 0.0 && fake.maxNumber().doubleValue() <= 0.1);
        assertTrue(real.stdNumber().doubleValue() > 0.02, "labels are noisy, not constant");
        assertEquals(1.0, GanSteps.realLabels(10, 0).minNumber().doubleValue(), 0);
        assertEquals(0.0, GanSteps.fakeLabels(10, 0).maxNumber().doubleValue(), 0);
    }
}
