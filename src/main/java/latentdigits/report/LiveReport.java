package latentdigits.report;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.apache.hadoop.conf.Configuration;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The report page of a run while it trains, as the study watched its training on visdom: served on 127.0.0.1 only,
 * drawn afresh from the run's staging directory on every request (the curves so far and the newest samples), and
 * reloading itself every few seconds. It only answers GET /; it reads the run's files and never writes them, and
 * serves from threads of its own, so nothing a client does reaches the training.
 */
public final class LiveReport implements Closeable {
    static final int REFRESH_SECONDS = 5;

    private final HttpServer server;
    private final ExecutorService threads;

    private LiveReport(HttpServer server, ExecutorService threads) {
        this.server = server;
        this.threads = threads;
    }

    public static LiveReport start(String job, String runDirectory, Configuration conf, int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
        ExecutorService threads = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "live-report");
            t.setDaemon(true);
            return t;
        });
        server.createContext("/", exchange -> {
            try (exchange) {
                if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
                    send(exchange, 405, "text/plain", "only GET\n");
                } else if (!exchange.getRequestURI().getPath().equals("/")) {
                    send(exchange, 404, "text/plain", "not found: the live page is /\n");
                } else {
                    RunFiles run = RunFiles.read(runDirectory, job, conf);
                    send(exchange, 200, "text/html; charset=utf-8",
                            HtmlReport.page(job + ": live, epoch " + run.metrics().size(), List.of(run), REFRESH_SECONDS));
                }
            } catch (RuntimeException e) {
                send(exchange, 500, "text/plain", "cannot draw the page: " + e.getMessage() + "\n");
            }
        });
        server.setExecutor(threads);
        server.start();
        return new LiveReport(server, threads);
    }

    private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** http://127.0.0.1:PORT/ */
    public String address() {
        return "http://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort() + "/";
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
