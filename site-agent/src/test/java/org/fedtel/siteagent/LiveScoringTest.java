package org.fedtel.siteagent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.fedtel.telemetry.detect.AnomalyModel;
import org.fedtel.telemetry.detect.DetectorSettings;
import org.fedtel.telemetry.features.FeatureMode;
import org.fedtel.telemetry.features.Scaler;
import org.fedtel.telemetry.features.WindowSpec;
import org.fedtel.telemetry.features.Windower;
import org.fedtel.telemetry.io.TelemetryCsv;
import org.fedtel.telemetry.model.Activation;
import org.fedtel.telemetry.model.ReconstructionError;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Live scoring: the same detections as scoring the whole file at once, incrementally and exactly once. */
class LiveScoringTest {
  static final WindowSpec SPEC = new WindowSpec(8, 4, FeatureMode.STATISTICS);
  static final List<String> METRICS = List.of("cpu", "mem");
  static final long T0 = 1_767_225_600L;

  @TempDir Path dir;
  ExecutorService executor;
  Set<String> passThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();
  AnomalyModel trained;
  double[][] trainingWindows;

  /** Rows {@code from..to-1} of a 2-node wide CSV; node n2's cpu jumps to 5 in rows 250..289. */
  static String rows(int from, int to) {
    StringBuilder b = new StringBuilder();
    for (int i = from; i < to; i++) {
      for (String node : List.of("n1", "n2")) {
        SplittableRandom r = new SplittableRandom(i * 31L + node.hashCode());
        double cpu = 0.5 + 0.05 * r.nextGaussian();
        if (node.equals("n2") && i >= 250 && i < 290) {
          cpu = 5 + 0.05 * r.nextGaussian();
        }
        b.append(T0 + 10L * i).append(',').append(node).append(',').append(cpu).append(',')
            .append(2 + 0.1 * r.nextGaussian()).append('\n');
      }
    }
    return b.toString();
  }

  static final String HEADER = "timestamp,node,cpu,mem\n";

  @BeforeEach
  void trainADetector() throws Exception {
    executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(() -> {
        passThreads.add(Thread.currentThread().getName());
        r.run();
      }, "live-scoring-test");
      t.setDaemon(true);
      return t;
    });
    Path train = dir.resolve("train.csv");
    StringBuilder b = new StringBuilder(HEADER);
    SplittableRandom r = new SplittableRandom(99);
    for (int i = 0; i < 400; i++) {
      b.append(T0 - 100_000 + 10L * i).append(",n1,").append(0.5 + 0.05 * r.nextGaussian()).append(',')
          .append(2 + 0.1 * r.nextGaussian()).append('\n');
    }
    Files.writeString(train, b.toString());
    List<double[]> windows = new ArrayList<>();
    TelemetryCsv.read(train, new Windower(SPEC, 2, (node, end, row, f, label) -> windows.add(f.clone())));
    trainingWindows = windows.toArray(new double[0][]);
    trained = AnomalyModel.train(SPEC, METRICS, trainingWindows, new DetectorSettings(new int[] {8, 3, 8}, Activation.RELU,
        Scaler.Kind.STANDARD, 10, 32, 1e-2, ReconstructionError.MSE, 99), new SplittableRandom(5));
  }

  @AfterEach
  void stop() throws Exception {
    executor.shutdownNow();
    assertTrue(executor.awaitTermination(10, TimeUnit.SECONDS));
  }

  LiveScoring open(Path data) throws Exception {
    return LiveScoring.open(data, dir.resolve("state/detections.csv"), dir.resolve("state/live-cursor"),
        trained.withParameters(new double[trained.config().parameterCount()]), trainingWindows, 99, executor);
  }

  /** What scoring the whole file at once with the model gives: the lines a live agent must write. */
  List<String> reference(Path file, AnomalyModel m, String modelRound) throws Exception {
    List<String> lines = new ArrayList<>();
    AnomalyModel.Scorer s = m.scorer();
    String hash = HexFormat.of().formatHex(LiveScoring.modelHash(m.parameters()));
    TelemetryCsv.read(file, new Windower(SPEC, 2, (node, end, row, f, label) -> {
      double score = s.score(f);
      if (s.isAnomalous(score)) {
        lines.add(node + "," + Instant.ofEpochMilli(end) + "," + score + "," + m.threshold() + "," + modelRound + "," + hash);
      }
    }));
    return lines;
  }

  List<String> detections() throws Exception {
    List<String> all = Files.readAllLines(dir.resolve("state/detections.csv"));
    assertEquals(LiveScoring.HEADER.trim(), all.get(0));
    return all.subList(1, all.size());
  }

  long windowCount(Path file) throws Exception {
    Windower w = new Windower(SPEC, 2, (node, end, row, f, label) -> { });
    TelemetryCsv.read(file, w);
    return w.windows();
  }

  @Test
  void aLiveFileGrowingBetweenRoundsIsScoredIncrementallyWithNoWindowTwice() throws Exception {
    Path live = dir.resolve("live.csv");
    String all = HEADER + rows(0, 400);
    int cut = all.indexOf('\n', (HEADER + rows(0, 260)).length() + 5) - 7; // mid-line, inside the anomaly
    Files.writeString(live, all.substring(0, cut));
    LiveScoring scoring = open(live);
    scoring.observing(new SiteStateTest.StubTrainer(10)).train(1, trained.parameters(), null, null);
    byte[] hash = LiveScoring.modelHash(trained.parameters());

    LiveScoring.Pass first = scoring.roundCommitted(4, hash).get(60, TimeUnit.SECONDS);
    assertEquals(4, first.modelRound());
    assertEquals(trained.threshold(), first.threshold(), 1e-12 * trained.threshold(),
        "the threshold is the 99th percentile of the training scores, as AnomalyModel.train sets it");
    Path prefix = dir.resolve("prefix.csv");
    Files.writeString(prefix, all.substring(0, all.lastIndexOf('\n', cut - 1) + 1));
    AnomalyModel m = trained.withThreshold(first.threshold());
    assertEquals(reference(prefix, m, "4"), detections());
    assertEquals(windowCount(prefix), first.windowsScored());
    assertTrue(first.anomalies() > 0, "the jump of n2's cpu in rows 250.. is flagged");

    Files.writeString(live, all.substring(cut), StandardOpenOption.APPEND);
    LiveScoring.Pass second = scoring.roundCommitted(5, new byte[32]).get(60, TimeUnit.SECONDS);
    assertEquals(4, second.modelRound(), "the same model: still round 4's");
    List<String> expected = reference(live, m, "4");
    assertEquals(expected, detections());
    assertEquals(windowCount(live), first.windowsScored() + second.windowsScored());
    Set<String> windows = new HashSet<>();
    for (String line : detections()) {
      String[] f = line.split(",");
      assertTrue(windows.add(f[0] + "," + f[1]), "window scored twice: " + line);
    }
    // Nothing new: nothing scored.
    assertEquals(0, scoring.roundCommitted(6, new byte[32]).get(60, TimeUnit.SECONDS).windowsScored());
    assertEquals(Set.of("live-scoring-test"), passThreads);
    // The detector as a file for `fedtel detect --model`: the global parameters and the site's threshold.
    AnomalyModel saved = AnomalyModel.decode(Files.readAllBytes(scoring.modelFile()));
    assertEquals(m.sha256Hex(), saved.sha256Hex());
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(scoring.modelFile())));
    executor.shutdown();
    ExecutionException rejected = assertThrows(ExecutionException.class, () -> scoring.roundCommitted(7, new byte[32]).get());
    assertTrue(rejected.getCause() instanceof java.util.concurrent.RejectedExecutionException, rejected.toString());
  }

  @Test
  void theFederationsScalingAndThresholdReplaceTheSitesOwnOnceReceived() throws Exception {
    Path live = dir.resolve("live.csv");
    Files.writeString(live, HEADER + rows(0, 300));
    LiveScoring scoring = open(live);
    scoring.modelReceived(trained.parameters());
    byte[] hash = LiveScoring.modelHash(trained.parameters());
    // A federated scaling (signed-log standardization) and a threshold for this model.
    int features = trained.scaler().size();
    double[] offset = new double[features];
    double[] scale = new double[features];
    java.util.Arrays.fill(scale, 0.5);
    scoring.scalingReceived(new org.fedtel.protocol.FeatureMoments.Fit(offset, scale, Double.NaN));
    scoring.thresholdReceived(hash, 1234.5);
    LiveScoring.Pass pass = scoring.roundCommitted(3, hash).get(60, TimeUnit.SECONDS);
    assertEquals(1234.5, pass.threshold(), 0, "the federated threshold of this model");
    AnomalyModel saved = AnomalyModel.decode(Files.readAllBytes(scoring.modelFile()));
    assertEquals(Scaler.of(Scaler.Kind.SIGNED_LOG_STANDARD, offset, scale), saved.scaler());
    assertEquals(reference(live, saved, "3"), detections());
    // Another model has no federated threshold yet: the site's own percentile applies to it.
    double[] other = trained.parameters();
    other[0] += 0.5;
    scoring.modelReceived(other);
    Files.writeString(live, rows(300, 320), StandardOpenOption.APPEND);
    LiveScoring.Pass next = scoring.roundCommitted(4, LiveScoring.modelHash(other)).get(60, TimeUnit.SECONDS);
    assertTrue(next.threshold() != 1234.5 && next.threshold() > 0, "threshold " + next.threshold());
    assertThrows(IllegalArgumentException.class, () -> scoring.thresholdReceived(hash, Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> scoring.scalingReceived(
        new org.fedtel.protocol.FeatureMoments.Fit(new double[] {0}, new double[] {1}, 1)));
  }

  @Test
  void aRestartContinuesWhereTheCursorIsAndUndoesAnUnfinishedPass() throws Exception {
    Path live = dir.resolve("live.csv");
    Files.writeString(live, HEADER + rows(0, 270));
    LiveScoring scoring = open(live);
    scoring.modelReceived(trained.parameters());
    scoring.scoreNow();
    List<String> before = detections();
    assertFalse(before.isEmpty());
    // A crash after writing lines of a pass but before its cursor: the lines are cut on restart.
    Files.writeString(dir.resolve("state/detections.csv"), "n2,garbage of an unfinished pass\n", StandardOpenOption.APPEND);
    Files.writeString(live, rows(270, 400), StandardOpenOption.APPEND);
    LiveScoring restarted = open(live);
    assertEquals(before, detections());
    restarted.modelReceived(trained.parameters());
    LiveScoring.Pass p = restarted.scoreNow();
    Path whole = dir.resolve("whole.csv");
    Files.writeString(whole, HEADER + rows(0, 400));
    assertEquals(reference(whole, trained.withThreshold(p.threshold()), ""), detections(),
        "model round unknown: no RoundResult carried this model's hash");
  }

  @Test
  void aDirectoryOfLiveFilesPicksUpNewFiles() throws Exception {
    Path liveDir = dir.resolve("live");
    Files.createDirectories(liveDir);
    Files.writeString(liveDir.resolve("a.csv"), HEADER + rows(0, 300));
    LiveScoring scoring = open(liveDir);
    scoring.modelReceived(trained.parameters());
    LiveScoring.Pass p1 = scoring.scoreNow();
    Files.writeString(liveDir.resolve("b.csv"), HEADER + rows(100, 300));
    LiveScoring.Pass p2 = scoring.scoreNow();
    assertEquals(windowCount(liveDir.resolve("a.csv")), p1.windowsScored());
    assertEquals(windowCount(liveDir.resolve("b.csv")), p2.windowsScored());
    AnomalyModel m = trained.withThreshold(p1.threshold());
    List<String> expected = new ArrayList<>(reference(liveDir.resolve("a.csv"), m, ""));
    expected.addAll(reference(liveDir.resolve("b.csv"), m, ""));
    assertEquals(expected, detections());
  }

  @Test
  void aRewrittenShrunkOrForeignLiveFileIsAnErrorAndThePassLeavesNoLines() throws Exception {
    Path live = dir.resolve("live.csv");
    Files.writeString(live, HEADER + rows(0, 270));
    LiveScoring scoring = open(live);
    scoring.modelReceived(trained.parameters());
    scoring.scoreNow();
    List<String> before = detections();

    String rewritten = (HEADER + rows(0, 270)).replaceFirst("n1,0\\.", "n1,1.") + rows(270, 300);
    Files.writeString(live, rewritten);
    LiveScoringException e = assertThrows(LiveScoringException.class, scoring::scoreNow);
    assertTrue(e.getMessage().contains("have changed"), e.getMessage());
    assertEquals(before, detections());

    Files.writeString(live, HEADER + rows(0, 100));
    e = assertThrows(LiveScoringException.class, scoring::scoreNow);
    assertTrue(e.getMessage().contains("truncated or replaced"), e.getMessage());

    // Through the asynchronous path the failure is the future's cause.
    ExecutionException ex = assertThrows(ExecutionException.class,
        () -> scoring.roundCommitted(3, new byte[32]).get(60, TimeUnit.SECONDS));
    assertTrue(ex.getCause() instanceof LiveScoringException, ex.toString());

    Path other = dir.resolve("other.csv");
    Files.writeString(other, "timestamp,node,cpu,disk\n" + rows(0, 50));
    Files.delete(dir.resolve("state/detections.csv"));
    Files.delete(dir.resolve("state/live-cursor"));
    LiveScoring foreign = open(other);
    foreign.modelReceived(trained.parameters());
    e = assertThrows(LiveScoringException.class, foreign::scoreNow);
    assertTrue(e.getMessage().contains("do not match the training data's"), e.getMessage());

    Files.writeString(other, HEADER + "1767225600,n1,abc,1\n");
    e = assertThrows(LiveScoringException.class, foreign::scoreNow);
    assertTrue(e.getMessage().contains("other.csv:2"), e.getMessage());
  }

  @Test
  void damagedStateIsAnErrorAndNoModelMeansNothingScored() throws Exception {
    Path live = dir.resolve("live.csv");
    Files.writeString(live, HEADER + rows(0, 100));
    LiveScoring scoring = open(live);
    assertEquals(0, scoring.scoreNow().windowsScored(), "no global model yet");
    scoring.modelReceived(trained.parameters());
    scoring.scoreNow();
    Path out = dir.resolve("state/detections.csv");
    byte[] good = Files.readAllBytes(out);
    Files.write(out, java.util.Arrays.copyOf(good, good.length - 3));
    LiveScoringException e = assertThrows(LiveScoringException.class, () -> open(live));
    assertTrue(e.getMessage().contains("shorter than"), e.getMessage());
    Files.write(out, good);
    Files.writeString(dir.resolve("state/live-cursor"), "fedtel-live-cursor 1\ndetections x\n");
    e = assertThrows(LiveScoringException.class, () -> open(live));
    assertTrue(e.getMessage().contains("live-cursor:2: malformed"), e.getMessage());
    Files.delete(dir.resolve("state/live-cursor"));
    e = assertThrows(LiveScoringException.class, () -> open(live));
    assertTrue(e.getMessage().contains("no cursor"), e.getMessage());
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
    assertThrows(IllegalArgumentException.class, () -> scoring.modelReceived(new double[3]));
    // A finite but diverged model whose training scores overflow: a typed error, no threshold from infinities.
    double[] huge = new double[trained.config().parameterCount()];
    java.util.Arrays.fill(huge, 1e300);
    scoring.modelReceived(huge);
    e = assertThrows(LiveScoringException.class, scoring::scoreNow);
    assertTrue(e.getMessage().contains("cannot score this site's training windows"), e.getMessage());
  }

  @Test
  void completeLengthStopsAtTheLastNewline() throws Exception {
    Path f = dir.resolve("f");
    for (String text : List.of("", "abc", "a\n", "a\nb", "a\nb\n\n", "x".repeat(20_000) + "\n" + "y".repeat(9000))) {
      Files.writeString(f, text, StandardCharsets.UTF_8);
      try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f)) {
        assertEquals(text.lastIndexOf('\n') + 1, LiveScoring.completeLength(ch), text.length() + " chars");
      }
    }
  }
}
