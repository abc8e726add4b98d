package latentdigits.bench;

import latentdigits.util.Numbers;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelsVersusPyTorchTest {

    @Test
    void theSteadyStateOfTwelveEpochsIsTheMedianOfEpochsSevenToTwelve() {
        // warm-up epochs far slower than the rest, as the JIT compiler makes them, must not reach the median
        List<Double> seconds = List.of(9.0, 8.0, 7.0, 6.0, 5.0, 4.0, 1.3, 1.1, 1.2, 1.6, 1.4, 1.5);
        assertEquals(1.35, ModelsVersusPyTorch.steady(seconds), 1e-9);
    }

    @Test
    void theConfiguredEpochsPutEveryMedianPastTheSixthEpoch() {
        Map<String, Integer> epochs = ModelsVersusPyTorch.epochs(BenchJob.OPTIONS.parse(new String[0]).require("model-epochs"));
        assertEquals(List.of("MLP VAE", "GAN", "CNN VAE"), List.copyOf(epochs.keySet()));
        // the GAN's and CNN VAE's epochs shorten up to the sixth (JIT compiler, the workers' unequal pace)
        epochs.forEach((model, n) -> assertTrue(ModelsVersusPyTorch.firstSteadyEpoch(n) >= 7,
                model + ": " + n + " epochs measure from epoch " + ModelsVersusPyTorch.firstSteadyEpoch(n)));
    }

    @Test
    void modelEpochsNameAllThreeNetworks() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelsVersusPyTorch.epochs("12,12"));
        assertEquals("--model-epochs: expected MLP,GAN,CNN epochs, found '12,12'", e.getMessage());
    }

    @Test
    void fewEpochsSkipOnlyTheFirst() {
        assertEquals(2.0, ModelsVersusPyTorch.steady(List.of(9.0, 2.0)), 1e-9);
        assertEquals(2.5, ModelsVersusPyTorch.steady(List.of(9.0, 2.0, 3.0)), 1e-9);
        assertEquals(4.0, ModelsVersusPyTorch.steady(List.of(4.0)), 1e-9);
    }

    @Test
    void theTablePrintsEachRatioNextToItsTarget() {
        String table = ModelsVersusPyTorch.table(List.of(result("GAN", 1.2, 1.8, 0.8)), whole(32.5, 50.0));
        String gan = table.lines().filter(l -> l.startsWith("GAN")).findFirst().orElseThrow();
        assertTrue(gan.matches("GAN\\s+12\\s+1\\.20\\s+1\\.80\\s+0\\.67\\s+<= 0\\.8"), gan);
        assertTrue(table.contains("0.65"), table);
        assertFalse(table.contains("not run"), table);
    }

    @Test
    void withoutPyTorchTheTableSaysHowToInstallIt() {
        Map<String, Object> ours = new LinkedHashMap<>();
        ours.put("model", "CNN VAE");
        ours.put("epochs", 12);
        ours.put("target_ratio", 1.0);
        ours.put("this_project_s_per_epoch", 3.1);
        String table = ModelsVersusPyTorch.table(List.of(ours), null);
        assertTrue(table.contains("PyTorch references not run"), table);
        assertTrue(table.contains(PyTorchReference.INSTALL), table);
    }

    private static Map<String, Object> result(String model, double ours, double theirs, double target) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", model);
        r.put("epochs", 12);
        r.put("target_ratio", target);
        r.put("this_project_s_per_epoch", ours);
        r.put("pytorch_s_per_epoch", theirs);
        r.put("ratio", Numbers.round(ours / theirs, 3));
        return r;
    }

    private static Map<String, Object> whole(double ours, double theirs) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", "MLP VAE, default 40 epochs, launch to exit");
        r.put("this_project_s", ours);
        r.put("pytorch_s", theirs);
        r.put("ratio", Numbers.round(ours / theirs, 3));
        return r;
    }
}
