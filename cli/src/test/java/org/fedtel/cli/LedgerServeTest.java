package org.fedtel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PipedReader;
import java.io.PipedWriter;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedtel.ledger.SyntheticLedger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class LedgerServeTest {
  @TempDir Path dir;

  @Test
  void servesAnOfflineLedgerUntilInterrupted() throws Exception {
    SyntheticLedger.write(dir, 3, 2, 9, true);
    PipedWriter pipe = new PipedWriter();
    BufferedReader lines = new BufferedReader(new PipedReader(pipe));
    AtomicInteger exit = new AtomicInteger(-1);
    Thread serve = new Thread(() -> {
      CommandLine cl = FedtelCommand.newCommandLine();
      cl.setOut(new PrintWriter(pipe, true));
      cl.setErr(new PrintWriter(new StringWriter(), true));
      exit.set(cl.execute("ledger", "serve", dir.toString(), "--port", "0"));
    });
    serve.start();
    String first = lines.readLine();
    Matcher m = Pattern.compile("on http://127\\.0\\.0\\.1:(\\d+)/").matcher(first);
    assertTrue(m.find(), first);
    HttpResponse<String> status = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.group(1) + "/api/status")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, status.statusCode());
    assertTrue(status.body().contains("\"live\":false"), status.body());
    assertTrue(status.body().contains("\"rounds_committed\":2"), status.body());
    serve.interrupt();
    serve.join(10_000);
    assertEquals(0, exit.get());
  }

  @Test
  void refusesAPublicAddressWithoutTheFlagAndAMissingDirectory() throws Exception {
    FedtelCommandTest.Result r = FedtelCommandTest.run("ledger", "serve", dir.resolve("nope").toString());
    assertEquals(FedtelCommand.EXIT_USER_ERROR, r.exit());
    assertTrue(r.err().contains("does not exist"), r.err());

    SyntheticLedger.write(dir, 2, 1, 3, true);
    FedtelCommandTest.Result open = FedtelCommandTest.run("ledger", "serve", dir.toString(), "--bind", "0.0.0.0", "--port", "0");
    assertEquals(FedtelCommand.EXIT_USER_ERROR, open.exit());
    assertTrue(open.err().contains("loopback") && open.err().contains("--public"), open.err());
  }
}
