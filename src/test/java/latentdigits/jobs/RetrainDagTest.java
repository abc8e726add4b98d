package latentdigits.jobs;

import latentdigits.util.Json;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The Airflow DAG and ./submit.sh retrain cannot drift: the DAG file, read with Python's ast (Airflow itself cannot
 * be installed here), has exactly retrain's steps — the same tasks in the same order, each the same job (its main
 * class, from jobs/JOB.job) with the same arguments — and every task is a SparkSubmitOperator on the uber jar.
 */
class RetrainDagTest {
    private static final Path PROJECT = Path.of(System.getProperty("latentdigits.project.dir", ".")).toAbsolutePath();
    private static final Path DAG = PROJECT.resolve("jobs/airflow/latent_digits_retrain.py");

    /** Reads the DAG with ast: each task's id, class and arguments, in the order of its `a >> b >> ...` chain. */
    private static final String READ_DAG = String.join("\n",
            "import ast, json, sys",
            "tree = ast.parse(open(sys.argv[1]).read(), sys.argv[1])",
            "compile(tree, sys.argv[1], 'exec')",
            "helpers, tasks, chain = {}, {}, []",
            "for node in ast.walk(tree):",
            "    if isinstance(node, ast.FunctionDef):",
            "        for call in ast.walk(node):",
            "            if isinstance(call, ast.Call) and getattr(call.func, 'id', None) == 'SparkSubmitOperator':",
            "                helpers[node.name] = sorted(k.arg for k in call.keywords)",
            "for node in ast.walk(tree):",
            "    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and getattr(node.value.func, 'id', None) in helpers:",
            "        task_id, java_class, args = [ast.literal_eval(a) for a in node.value.args]",
            "        tasks[node.targets[0].id] = {'task_id': task_id, 'java_class': java_class, 'args': args}",
            "    if isinstance(node, ast.Expr) and isinstance(node.value, ast.BinOp):",
            "        def names(e):",
            "            return names(e.left) + names(e.right) if isinstance(e, ast.BinOp) and isinstance(e.op, ast.RShift) else [e.id]",
            "        chain = names(node.value)",
            "print(json.dumps({'operator_keywords': helpers, 'tasks': [tasks[n] for n in chain], 'defined': len(tasks)}))");

    @Test
    void theDagRunsRetrainsStepsInItsOrder() throws Exception {
        Process python;
        try {
            python = new ProcessBuilder("python3", "-c", READ_DAG, DAG.toString()).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            Assumptions.abort("needs python3 to read the DAG: " + e.getMessage());
            return;
        }
        String out = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, python.waitFor(), out);
        Map<String, Object> dag = Json.parse(out);

        @SuppressWarnings("unchecked") Map<String, List<String>> keywords = (Map<String, List<String>>) dag.get("operator_keywords");
        assertEquals(1, keywords.size(), "one helper builds every task's SparkSubmitOperator: " + keywords);
        for (String k : List.of("task_id", "application", "java_class", "application_args", "conn_id", "conf"))
            assertEquals(true, keywords.values().iterator().next().contains(k), "the SparkSubmitOperator sets " + k);

        List<Map<String, Object>> expected = new ArrayList<>();
        for (RetrainJob.Step step : RetrainJob.STEPS) {
            Map<String, Object> task = new LinkedHashMap<>();
            task.put("task_id", step.taskId());
            task.put("java_class", mainClass(step.job()));
            task.put("args", step.args());
            expected.add(task);
        }
        assertEquals(expected, dag.get("tasks"), "the DAG's tasks, in the order of its dependency chain");
        assertEquals(expected.size(), ((Number) dag.get("defined")).intValue(), "every task the DAG defines is in its chain");
    }

    private static String mainClass(String job) throws Exception {
        return Files.readAllLines(PROJECT.resolve("jobs/" + job + ".job")).stream().filter(l -> l.startsWith("main="))
                .findFirst().orElseThrow().substring("main=".length());
    }
}
