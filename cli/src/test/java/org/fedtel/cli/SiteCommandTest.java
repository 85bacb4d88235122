package org.fedtel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedtel.crypto.ConsortiumCa;
import org.fedtel.ledger.AuditReport;
import org.fedtel.ledger.LedgerAudit;
import org.fedtel.telemetry.features.FeatureMode;
import org.fedtel.telemetry.features.WindowSpec;
import org.fedtel.telemetry.features.Windower;
import org.fedtel.telemetry.io.TelemetryCsv;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `fedtel site` keeps its spend and witness state across restarts and scores its live telemetry:
 * a coordinator and three sites run round 1 and stop; all restart (the coordinator resumes) and run
 * round 2 from the state directories; the live file grows in between.
 */
class SiteCommandTest {
  @TempDir Path dir;

  static String liveRows(int from, int to) {
    StringBuilder b = new StringBuilder();
    for (int i = from; i < to; i++) {
      SplittableRandom r = new SplittableRandom(1000 + i);
      double cpu = (i >= 150 && i < 180 ? 8 : 1) + 0.1 * r.nextGaussian();
      b.append(1_767_325_600L + 10L * i).append(",n1,").append(cpu).append(',').append(2 + 0.1 * r.nextGaussian()).append('\n');
    }
    return b.toString();
  }

  private void writeConfigs(int port, String sites, int rounds, int stopAfter) throws Exception {
    ConfigFiles.coordinator(dir, port, sites, "off", rounds, 3, 30, "distributed");
    for (int i = 1; i <= 3; i++) {
      ConfigFiles.site(dir, i, port, sites, stopAfter, i == 1 ? "[live]\ndata = \"live.csv\"\n" : "");
    }
  }

  /** Runs the coordinator and the three sites to completion; returns what they printed. */
  private String runAll() throws Exception {
    PrintStream saved = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      List<CompletableFuture<Integer>> runs = new ArrayList<>();
      runs.add(CompletableFuture.supplyAsync(() -> Main.run("coordinator", "--config", dir.resolve("coordinator.toml").toString())));
      for (int i = 1; i <= 3; i++) {
        String f = dir.resolve("site-" + i + ".toml").toString();
        runs.add(CompletableFuture.supplyAsync(() -> Main.run("site", "--config", f)));
      }
      for (CompletableFuture<Integer> r : runs) {
        assertEquals(0, r.get(120, TimeUnit.SECONDS), () -> out.toString(StandardCharsets.UTF_8));
      }
    } finally {
      System.setOut(saved);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static Map<String, Double> ledgerSpend(AuditReport report) {
    Map<String, Double> m = new HashMap<>();
    for (AuditReport.SiteBudget b : report.sites()) {
      m.put(b.siteId(), b.spentEpsilon());
    }
    return m;
  }

  @Test
  void restartedSitesRestoreTheirSpendAndCheckpointAndScoreTheirLiveTelemetryOnce() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(dir.resolve("ca"), "test", Clock.systemUTC(), new SecureRandom());
    ca.issueCoordinator(List.of());
    StringBuilder sites = new StringBuilder();
    for (int i = 1; i <= 3; i++) {
      ca.issueSite("site-" + i);
      sites.append(i > 1 ? ", " : "").append("\"ca/sites/site-").append(i).append("/cert.pem\"");
      FederationCommandsTest.writeCsv(dir.resolve("site-" + i + ".csv"), i, 1);
    }
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path live = dir.resolve("live.csv");
    Files.writeString(live, "timestamp,node,cpu,mem\n" + liveRows(0, 160));

    writeConfigs(port, sites.toString(), 1, 1);
    String first = runAll();
    Map<String, Double> afterOne = ledgerSpend(LedgerAudit.verify(dir.resolve("coord").resolve("ledger")));
    assertTrue(first.contains("epsilon spent 0.0000 restored from 0 charged rounds; last accepted checkpoint size 0"), first);
    for (int i = 1; i <= 3; i++) {
      Path state = dir.resolve("state-site-" + i);
      assertEquals(Set.of("charges.log", "checkpoint.note", "lock"), names(state, i == 1), "site-" + i);
    }
    Path detections = dir.resolve("state-site-1").resolve("detections.csv");
    assertTrue(first.contains("live after round 1: " + windows(live) + " windows scored"), first);
    List<String> firstLines = Files.readAllLines(detections);

    // The live file grows (with the anomaly at rows 150..179) while the site is down.
    Files.writeString(live, liveRows(160, 300), StandardOpenOption.APPEND);
    writeConfigs(port, sites.toString(), 2, 2);
    String second = runAll();
    AuditReport report = LedgerAudit.verify(dir.resolve("coord").resolve("ledger"));
    assertEquals(2, report.checkpoints());
    for (int i = 1; i <= 3; i++) {
      String id = "site-" + i;
      Pattern p = Pattern.compile("state " + Pattern.quote(dir.resolve("state-" + id).toAbsolutePath().toString())
          + ": epsilon spent ([0-9.]+) restored from 1 charged rounds; last accepted checkpoint size ([0-9]+)");
      Matcher m = p.matcher(second);
      assertTrue(m.find(), second);
      assertEquals(afterOne.get(id), Double.parseDouble(m.group(1)), 5e-5, id + ": restored spend is the ledger's");
      long restoredSize = Long.parseLong(m.group(2));
      assertTrue(restoredSize > 0, id);
      // After round 2 the state holds round 2's checkpoint, which grew from the restored one.
      String note = Files.readString(dir.resolve("state-" + id).resolve("checkpoint.note"));
      long size = Long.parseLong(note.lines().skip(1).findFirst().orElseThrow());
      assertTrue(size > restoredSize && size <= report.entries(), id + ": " + restoredSize + " -> " + size);
      // The restored witness cosigned round 2's checkpoint from the restored size (a fresh one would start from 0).
      String roundTwo = String.format(Locale.ROOT, "round 2: survivors [site-1, site-2, site-3], epsilon spent %.4f", ledgerSpend(report).get(id));
      assertTrue(second.contains(roundTwo), roundTwo + " in\n" + second);
    }

    List<String> lines = Files.readAllLines(detections);
    assertEquals(firstLines, lines.subList(0, firstLines.size()), "earlier detections are kept as written");
    Set<String> seen = new HashSet<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",");
      assertEquals(6, f.length, line);
      assertTrue(seen.add(f[0] + "," + f[1]), "window scored twice: " + line);
    }
    assertTrue(second.contains("live after round 2: " + (windows(live) - windows(dir.resolve("prefix.csv"), live, 160))
        + " windows scored"), second);
    assertTrue(second.contains("(threshold") && second.contains("model of round 2)"),
        "the live model is the one round 2 produced, sent with its RoundResult and checked against its hash:\n" + second);
    assertTrue(lines.size() > firstLines.size(), "the anomaly appended between the runs is detected:\n" + String.join("\n", lines));

    // The same flags as `fedtel detect` with the detector the site saved (round 2's model, the site's threshold),
    // on the windows of the second pass (ending at data row 160 or later).
    Path flags = dir.resolve("detect.csv");
    assertEquals(0, Main.run("detect", "--model", dir.resolve("state-site-1").resolve("global.model").toString(),
        "--input", live.toString(), "--out", flags.toString()));
    List<String> expected = new ArrayList<>();
    for (String line : Files.readAllLines(flags).subList(1, Files.readAllLines(flags).size())) {
      String[] f = line.split(",", -1); // node,timestamp,row,score,anomalous,label
      if (Long.parseLong(f[2]) >= 160 && f[4].equals("1")) {
        expected.add(f[0] + "," + f[1] + "," + f[3]);
      }
    }
    List<String> appended = new ArrayList<>();
    for (String line : lines.subList(firstLines.size(), lines.size())) {
      String[] f = line.split(",");
      appended.add(f[0] + "," + f[1] + "," + f[2]);
    }
    assertEquals(expected, appended);
  }

  @Test
  void aCorruptStateFileStopsTheSiteWithOneLineNamingFileAndOffset() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(dir.resolve("ca"), "test", Clock.systemUTC(), new SecureRandom());
    ca.issueCoordinator(List.of());
    ca.issueSite("site-1");
    ca.issueSite("site-2");
    FederationCommandsTest.writeCsv(dir.resolve("site-1.csv"), 1, 1);
    writeConfigs(1, "\"ca/sites/site-1/cert.pem\", \"ca/sites/site-2/cert.pem\"", 1, 1);
    Path state = dir.resolve("state-site-1");
    try (org.fedtel.siteagent.SiteState s = org.fedtel.siteagent.SiteState.open(state, "site-1")) {
      s.charged(1, new org.fedtel.privacy.accounting.SampledGaussian(1, 2, 1));
      s.charged(2, new org.fedtel.privacy.accounting.SampledGaussian(1, 2, 1));
    }
    Path charges = state.resolve("charges.log");
    byte[] bytes = Files.readAllBytes(charges);
    int header = bytes.length - 2 * 36;
    bytes[header + 5] ^= 1;
    Files.write(charges, bytes);
    PrintStream saved = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      code = Main.run("site", "--config", dir.resolve("site-1.toml").toString());
    } finally {
      System.setErr(saved);
    }
    assertEquals(2, code);
    String text = err.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains(charges.toAbsolutePath() + " at offset " + header + ": charge record fails its checksum"), text);
    assertEquals(1, text.strip().lines().count(), text);

    // A [live] file whose metrics are not the training data's is a configuration error.
    Files.writeString(dir.resolve("live.csv"), "timestamp,node,cpu,disk\n" + liveRows(0, 10));
    org.fedtel.protocol.config.ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(
        org.fedtel.protocol.config.ConfigException.class, () -> SiteCommand.read(dir.resolve("site-1.toml")));
    assertTrue(e.getMessage().contains("live.data " + dir.resolve("live.csv") + " has metrics [cpu, disk], the training data [cpu, mem]"),
        e.getMessage());
  }

  @Test
  void aSiteTakesUnprotectedRoundsOnlyWhenItsBudgetSectionSaysSo() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(dir.resolve("ca"), "test", Clock.systemUTC(), new SecureRandom());
    ca.issueCoordinator(List.of());
    ca.issueSite("site-1");
    FederationCommandsTest.writeCsv(dir.resolve("site-1.csv"), 1, 1);
    Path file = ConfigFiles.site(dir, 1, 1, null, 1, "");
    assertFalse(SiteCommand.read(file).acceptUnprotected(), "a site with a budget does not take unprotected rounds by default");
    ConfigFiles.site(dir, 1, 1, null, 1, "accept_unprotected = true\n"); // appended to [budget]
    assertTrue(SiteCommand.read(file).acceptUnprotected());
    ConfigFiles.site(dir, 1, 1, null, 1, "accept_unprotected = \"yes\"\n");
    org.fedtel.protocol.config.ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(
        org.fedtel.protocol.config.ConfigException.class, () -> SiteCommand.read(file));
    assertTrue(e.getMessage().contains("budget.accept_unprotected") && e.getMessage().contains("true or false"), e.getMessage());
  }

  private static Set<String> names(Path dir, boolean live) throws Exception {
    Set<String> s = new HashSet<>();
    try (var list = Files.list(dir)) {
      list.forEach(p -> s.add(p.getFileName().toString()));
    }
    if (live) {
      assertTrue(s.remove("detections.csv") && s.remove("live-cursor") && s.remove("global.model"), s.toString());
    }
    return s;
  }

  /** Windows of the live file as the site windows it (12 samples, step 6). */
  private static long windows(Path file) throws Exception {
    Windower w = new Windower(new WindowSpec(12, 6, FeatureMode.STATISTICS), 2, (node, end, row, f, label) -> { });
    TelemetryCsv.read(file, w);
    return w.windows();
  }

  /** Windows of the first {@code rows} data rows of {@code live}, written to {@code prefix}. */
  private static long windows(Path prefix, Path live, int rows) throws Exception {
    List<String> all = Files.readAllLines(live);
    Files.write(prefix, all.subList(0, rows + 1));
    return windows(prefix);
  }
}
