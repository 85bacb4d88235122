package org.fedtel.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.fedtel.coordinator.Federation;
import org.fedtel.coordinator.FederationLog;
import org.fedtel.coordinator.Outbound;
import org.fedtel.coordinator.RoundSettings;
import org.fedtel.coordinator.RoundSummary;
import org.fedtel.coordinator.StateStore;
import org.fedtel.coordinator.strategy.Strategies;
import org.fedtel.privacy.accounting.PrivacyBudget;
import org.fedtel.protocol.RejectedMessageException;
import org.fedtel.protocol.v1.DataUseRecord;
import org.fedtel.protocol.v1.Envelope;
import org.fedtel.protocol.v1.PrivacyMode;
import org.fedtel.protocol.v1.PrivacyParams;
import org.fedtel.protocol.v1.TrainConfig;
import org.fedtel.siteagent.LocalTrainer;
import org.fedtel.siteagent.SiteSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Both round engines driven in one thread through an in-memory carrier with a manual clock. */
class InMemoryFederationTest {
  @TempDir Path dir;

  /** A clock the test moves by hand. */
  static final class ManualClock extends Clock {
    long millis = 1_000_000;

    @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
    @Override public Clock withZone(java.time.ZoneId zone) { return this; }
    @Override public Instant instant() { return Instant.ofEpochMilli(millis); }
    @Override public long millis() { return millis; }
  }

  /** Records the log calls in order. */
  static final class ListLog implements FederationLog {
    final List<String> events = new ArrayList<>();

    @Override public void siteEnrolled(String siteId, double e, double d) { events.add("enrolled " + siteId); }
    @Override public void roundStarted(long round, List<String> p, PrivacyParams privacy) { events.add("started " + round + " " + p); }
    @Override public void budgetExhausted(long round, String siteId, double spent, double budget, String reason) { events.add("budget " + round + " " + siteId); }
    @Override public void dataUse(long round, String siteId, DataUseRecord record) { events.add("use " + round + " " + siteId); }
    @Override public void roundCommitted(long round, byte[] h, List<String> s, List<String> d) { events.add("committed " + round + " " + s + " dropped " + d); }
    @Override public void roundAborted(long round, String reason) { events.add("aborted " + round + " " + reason); }
    @Override public boolean hasDataUse(String siteId, long round) {
      return events.contains("use " + round + " " + siteId);
    }

    @Override public boolean isOpen(long round) {
      boolean open = false;
      for (String e : events) {
        if (e.startsWith("started " + round + " ")) {
          open = true;
        } else if (e.startsWith("committed " + round + " ") || e.startsWith("aborted " + round + " ")) {
          open = false;
        }
      }
      return open;
    }

    @Override public long lastStartedRound() {
      long max = 0;
      for (String e : events) {
        if (e.startsWith("started ")) {
          max = Math.max(max, Long.parseLong(e.split(" ")[1]));
        }
      }
      return max;
    }
  }

  /** Least squares y = w.x by gradient descent on the site's own (non-IID) data. */
  static final class LeastSquares implements LocalTrainer {
    final double[][] x;
    final double[] y;

    LeastSquares(long seed, double[] trueW, double shift, int n) {
      SplittableRandom r = new SplittableRandom(seed);
      x = new double[n][trueW.length];
      y = new double[n];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < trueW.length; j++) {
          x[i][j] = shift + r.nextGaussian();
          y[i] += trueW[j] * x[i][j];
        }
        y[i] += 0.01 * r.nextGaussian();
      }
    }

    @Override public long exampleCount() { return y.length; }

    @Override public byte[] datasetSha256() {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 * y.length);
      for (double v : y) {
        b.putDouble(v);
      }
      try {
        return java.security.MessageDigest.getInstance("SHA-256").digest(b.array());
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new AssertionError(e);
      }
    }

    @Override public LocalUpdate train(long round, double[] global, TrainConfig config, PrivacyParams privacy) {
      double[] w = global.clone();
      double loss = 0;
      for (int epoch = 0; epoch < config.getLocalEpochs(); epoch++) {
        double[] g = new double[w.length];
        loss = 0;
        for (int i = 0; i < y.length; i++) {
          double err = -y[i];
          for (int j = 0; j < w.length; j++) {
            err += w[j] * x[i][j];
          }
          loss += err * err / y.length;
          for (int j = 0; j < w.length; j++) {
            g[j] += 2 * err * x[i][j] / y.length;
          }
        }
        for (int j = 0; j < w.length; j++) {
          g[j] += config.getProximalMu() * (w[j] - global[j]);
          w[j] -= config.getLearningRate() * g[j];
        }
      }
      double[] delta = new double[w.length];
      for (int j = 0; j < w.length; j++) {
        delta[j] = w[j] - global[j];
      }
      return new LocalUpdate(delta, loss);
    }
  }

  /** The carrier: delivers every envelope at once; sites in {@code silentFrom} stop answering in that phase. */
  static final class Carrier {
    final ManualClock clock = new ManualClock();
    final ListLog log = new ListLog();
    final Map<String, SiteSession> sites = new TreeMap<>();
    final Map<String, String> silentFrom = new TreeMap<>();
    final List<Envelope> seenBySites = new ArrayList<>();
    final Deque<Outbound> toSites = new ArrayDeque<>();
    Federation coordinator;
    int target = Integer.MAX_VALUE;
    /** Applied to every envelope before the site sees it (a man in the middle, for tests). */
    java.util.function.UnaryOperator<Envelope> tamper = e -> e;
    /** Whether a reply the coordinator refuses is dropped, as the network server does (it answers an Error), instead of failing the test. */
    boolean dropRefused;
    /** Site replies that never reach the coordinator (site id, envelope), e.g. lost with a crashing coordinator. */
    java.util.function.BiPredicate<String, Envelope> lost = (site, e) -> false;

    void connectAll() throws RejectedMessageException {
      for (SiteSession s : sites.values()) {
        toSites.addAll(coordinator.onHello(s.siteId(), s.hello()));
      }
    }

    void pump() throws RejectedMessageException {
      while (!toSites.isEmpty() && coordinator.history().size() < target) {
        Outbound o = toSites.poll();
        SiteSession s = sites.get(o.siteId());
        seenBySites.add(o.envelope());
        String phase = silentFrom.get(o.siteId());
        if (phase != null && o.envelope().getBodyCase().name().equals(phase)) {
          continue; // this site has died: it never answers again this round
        }
        List<Envelope> replies;
        try {
          replies = s.onEnvelope(tamper.apply(o.envelope()));
        } catch (org.fedtel.protocol.RejectedMessageException e) {
          throw new AssertionError(e);
        }
        for (Envelope r : replies) {
          if (lost.test(o.siteId(), r)) {
            continue;
          }
          try {
            toSites.addAll(coordinator.onEnvelope(o.siteId(), r));
          } catch (RejectedMessageException refused) {
            if (!dropRefused) {
              throw refused;
            }
            toSites.addAll(coordinator.onTick()); // as CoordinatorServer does after a refusal
          }
        }
      }
    }

    /** Runs until {@code rounds} rounds have finished, passing deadlines when nothing moves. */
    void runRounds(int rounds) throws RejectedMessageException {
      target = rounds;
      for (int guard = 0; coordinator.history().size() < rounds && guard < 1000; guard++) {
        pump();
        if (coordinator.history().size() >= rounds) {
          break; // leave the next round's messages queued, with its deadline not yet passed
        }
        clock.millis += 5_000;
        toSites.addAll(coordinator.onTick());
      }
    }
  }

  static RoundSettings settings(PrivacyMode mode, int rounds) {
    int bits = mode == PrivacyMode.PRIVACY_MODE_DISTRIBUTED ? 32 : 64;
    return new RoundSettings(rounds, 4, 3, Duration.ofSeconds(5), mode, 1.0, 1.0, 1e-5, 3, 32, 0.1, bits, 0);
  }

  Carrier federation(RoundSettings settings, String strategy, double budgetEpsilon) throws Exception {
    Carrier c = new Carrier();
    TestConsortium keys = new TestConsortium(4);
    double[] trueW = {1.0, -2.0, 0.5};
    for (int i = 0; i < 4; i++) {
      String id = "site-" + i;
      c.sites.put(id, keys.session(id, new PrivacyBudget(budgetEpsilon, 1e-5),
          new LeastSquares(100 + i, trueW, 0.5 * i, 50 + 20 * i), keys.witness(id)));
    }
    c.coordinator = new Federation(settings, Strategies.create(strategy, Map.of()), new double[3], keys.server(),
        c.log, new StateStore(dir.resolve("state")), c.clock, new SplittableRandom(7));
    return c;
  }

  @Test
  void fourSitesLearnTheSharedModelWithoutPrivacy() throws Exception {
    Carrier c = federation(settings(PrivacyMode.PRIVACY_MODE_NONE, 15), "fedavg", 10);
    c.connectAll();
    c.runRounds(15);
    assertTrue(c.coordinator.finished());
    List<RoundSummary> h = c.coordinator.history();
    assertEquals(15, h.size());
    for (RoundSummary s : h) {
      assertTrue(s.committed(), s.reason());
      assertEquals(4, s.survivors().size());
    }
    assertTrue(h.get(14).meanTrainLoss() < 0.01 * h.get(0).meanTrainLoss(), h.get(0).meanTrainLoss() + " -> " + h.get(14).meanTrainLoss());
    assertArrayEquals(new double[] {1.0, -2.0, 0.5}, c.coordinator.model(), 0.05);
  }

  /** A site whose losses are recorded and whose held-out validation is fixed, to check the decoded statistics. */
  static final class Reporting implements LocalTrainer {
    final LocalTrainer inner;
    final Validation validation;
    final List<Double> losses = new ArrayList<>();

    Reporting(LocalTrainer inner, Validation validation) {
      this.inner = inner;
      this.validation = validation;
    }

    @Override public long exampleCount() { return inner.exampleCount(); }
    @Override public byte[] datasetSha256() { return inner.datasetSha256(); }
    @Override public Validation validate(double[] global) { return validation; }

    @Override public LocalUpdate train(long round, double[] global, TrainConfig config, PrivacyParams privacy) {
      LocalUpdate u = inner.train(round, global, config, privacy);
      losses.add(u.trainLoss());
      return u;
    }
  }

  /** Runs one round with reporting sites (site-3 without validation windows) and returns them. */
  List<Reporting> oneReportingRound(RoundSettings settings, Carrier[] out) throws Exception {
    Carrier c = new Carrier();
    TestConsortium keys = new TestConsortium(4);
    double[] trueW = {0.3, -0.2, 0.1};
    List<Reporting> trainers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      String id = "site-" + i;
      Reporting r = new Reporting(new LeastSquares(100 + i, trueW, 0.2 * i, 50 + 20 * i),
          i == 3 ? null : new LocalTrainer.Validation(0.1 * i, 0.05, 0.2 - 0.05 * i));
      trainers.add(r);
      c.sites.put(id, keys.session(id, new PrivacyBudget(1e12, 1e-5), r, keys.witness(id)));
    }
    c.coordinator = new Federation(settings, Strategies.create("fedavg", Map.of()), new double[3], keys.server(),
        c.log, new StateStore(dir.resolve("state")), c.clock, new SplittableRandom(7));
    c.connectAll();
    c.runRounds(1);
    out[0] = c;
    return trainers;
  }

  @Test
  void roundStatisticsAreDecodedFromTheAggregateOnly() throws Exception {
    Carrier[] c = new Carrier[1];
    List<Reporting> sites = oneReportingRound(settings(PrivacyMode.PRIVACY_MODE_NONE, 1), c);
    RoundSummary s = c[0].coordinator.history().get(0);
    assertTrue(s.committed(), s.reason());
    double meanLoss = 0;
    for (Reporting r : sites) {
      assertEquals(1, r.losses.size());
      meanLoss += r.losses.get(0) / sites.size();
    }
    // Fixed point at 2^24 per unit: the decoded means are exact to ~1e-7.
    assertEquals(meanLoss, s.meanTrainLoss(), 1e-6);
    assertEquals(meanLoss, s.metrics().get("train_loss"), 1e-6);
    assertEquals(0, s.metrics().get("train_loss_noise_sd"));
    assertEquals(3, s.metrics().get("val_sites"), 1e-6);
    double tp = (0 + 0.1 + 0.2) / 3;
    double fp = 0.05;
    double fn = (0.2 + 0.15 + 0.1) / 3;
    assertEquals(tp / (tp + fp), s.metrics().get("val_precision"), 1e-6);
    assertEquals(tp / (tp + fn), s.metrics().get("val_recall"), 1e-6);
    assertEquals(2 * tp / (2 * tp + fp + fn), s.metrics().get("val_f1"), 1e-6);
    // The sites learn the decoded mean, and nothing of each other's loss travels on its own.
    for (Envelope e : c[0].seenBySites) {
      if (e.hasRoundResult()) {
        assertEquals(meanLoss, e.getRoundResult().getTrainLoss(), 1e-6);
      }
    }
    assertFalse(org.fedtel.protocol.v1.MaskedInput.getDescriptor().getFields().stream()
        .anyMatch(f -> f.getName().contains("loss")), "MaskedInput has no field for a loss in the clear");
  }

  @Test
  void underDistributedDpTheStatisticsShareTheMechanismAndItsNoise() throws Exception {
    // With a tiny noise multiplier the decoded statistics must match the plain means: this checks the
    // clip share scaling on both ends (a wrong scale shows up as a factor, not as noise).
    RoundSettings quiet = new RoundSettings(1, 4, 3, Duration.ofSeconds(5), PrivacyMode.PRIVACY_MODE_DISTRIBUTED,
        1.0, 1e-3, 1e-5, 3, 32, 0.1, 48, 0);
    Carrier[] c = new Carrier[1];
    List<Reporting> sites = oneReportingRound(quiet, c);
    RoundSummary s = c[0].coordinator.history().get(0);
    assertTrue(s.committed(), s.reason());
    double meanLoss = 0;
    for (Reporting r : sites) {
      meanLoss += Math.min(r.losses.get(0), 4.0) / sites.size();
    }
    double sd = s.metrics().get("train_loss_noise_sd");
    assertTrue(sd > 0 && sd < 0.01, "noise sd " + sd);
    assertEquals(meanLoss, s.meanTrainLoss(), Math.max(6 * sd, 1e-3));
    assertEquals(3, s.metrics().get("val_sites"), 0.05);
    double tp = 0.1;
    assertEquals(2 * tp / (2 * tp + 0.05 + 0.15), s.metrics().get("val_f1"), 0.05);
  }

  @Test
  void inLocalModeTheRoundCarriesNoStatistics() throws Exception {
    Carrier[] c = new Carrier[1];
    oneReportingRound(settings(PrivacyMode.PRIVACY_MODE_LOCAL, 1), c);
    RoundSummary s = c[0].coordinator.history().get(0);
    assertTrue(s.committed(), s.reason());
    assertTrue(s.metrics().isEmpty(), s.metrics().toString());
    assertTrue(Double.isNaN(s.meanTrainLoss()));
    for (Envelope e : c[0].seenBySites) {
      if (e.hasRoundStart()) {
        assertEquals(0, e.getRoundStart().getStatistics().getCount());
      }
    }
  }

  @Test
  void theRoundResultCarriesTheNewModelAndASiteRefusesOneThatIsNotTheHashedModel() throws Exception {
    Carrier c = federation(settings(PrivacyMode.PRIVACY_MODE_NONE, 1), "fedavg", 10);
    List<Envelope> results = new ArrayList<>();
    c.tamper = e -> {
      if (e.hasRoundResult()) {
        results.add(e);
      }
      return e;
    };
    List<double[]> heard = new ArrayList<>();
    c.sites.get("site-0").onNewModel((round, m) -> heard.add(m));
    c.connectAll();
    c.runRounds(1);
    c.target = Integer.MAX_VALUE; // deliver the results too (the federation has finished: nothing follows)
    c.pump();
    double[] model = c.coordinator.model();
    assertEquals(1, heard.size());
    assertArrayEquals(model, heard.get(0), 0);
    assertEquals(0, c.sites.get("site-0").lastResult().getParametersCount(), "the session does not keep the model");
    assertEquals(4, results.size());
    for (Envelope e : results) {
      assertArrayEquals(model, e.getRoundResult().getParametersList().stream().mapToDouble(Double::doubleValue).toArray(), 0);
      assertArrayEquals(StateStore.modelHash(model), e.getRoundResult().getNewModelHash().toByteArray());
    }

    dir = dir.resolve("tampered");
    Carrier t = federation(settings(PrivacyMode.PRIVACY_MODE_NONE, 1), "fedavg", 10);
    t.tamper = e -> e.hasRoundResult() ? e.toBuilder().setRoundResult(e.getRoundResult().toBuilder().setParameters(0,
        e.getRoundResult().getParameters(0) + 1e-9)).build() : e;
    t.connectAll();
    t.runRounds(1);
    t.target = Integer.MAX_VALUE;
    AssertionError refused = assertThrows(AssertionError.class, t::pump);
    assertTrue(refused.getCause().getMessage().contains("does not match its hash"), refused.getCause().getMessage());
  }

  /**
   * A coordinator that relays fewer than t of the survivors' signatures over U3 (4 sites, t = 3)
   * gets no unmask answer: each site refuses the request (Bonawitz et al. Fig. 4, round 4).
   */
  @Test
  void aSiteRefusesToUnmaskWithoutTSignaturesOverTheSurvivorList() throws Exception {
    Carrier c = federation(settings(PrivacyMode.PRIVACY_MODE_NONE, 1), "fedavg", 10);
    c.tamper = e -> e.hasUnmaskRequest()
        ? e.toBuilder().setUnmaskRequest(e.getUnmaskRequest().toBuilder().clearSignatures()
            .addAllSignatures(e.getUnmaskRequest().getSignaturesList().subList(0, 2))).build()
        : e;
    c.connectAll();
    AssertionError refused = assertThrows(AssertionError.class, () -> c.runRounds(1));
    assertTrue(refused.getCause().getMessage().contains("2 valid signatures over the survivor list"),
        refused.getCause().getMessage());
    assertEquals(0, c.coordinator.history().size());
  }

  /** A man in the middle that drops the last survivor from the first ConsistencyCheck delivered (site-0's). */
  private static java.util.function.UnaryOperator<Envelope> firstCheckWithoutTheLastSurvivor(Carrier c) {
    return e -> e.hasConsistencyCheck() && c.seenBySites.stream().filter(Envelope::hasConsistencyCheck).count() == 1
        ? e.toBuilder().setConsistencyCheck(e.getConsistencyCheck().toBuilder().clearSurvivors()
            .addAllSurvivors(e.getConsistencyCheck().getSurvivorsList().subList(0, 3))).build()
        : e;
  }

  /**
   * A coordinator that shows one site a survivor list other than U3: the site's signature is over
   * the list it was shown, so the coordinator cannot use it as a signature over U3.
   */
  @Test
  void aSignatureOverAnotherSurvivorListIsRefusedByTheCoordinator() throws Exception {
    Carrier c = federation(settings(PrivacyMode.PRIVACY_MODE_NONE, 1), "fedavg", 10);
    c.tamper = firstCheckWithoutTheLastSurvivor(c);
    c.connectAll();
    RejectedMessageException e = assertThrows(RejectedMessageException.class, () -> c.runRounds(1));
    assertTrue(e.getMessage().contains("consistency signature of site"), e.getMessage());
  }

  /**
   * The same, with the refusal answered as the network server answers it: the round does not wait
   * for the refused site, records why it left, commits with its masked input in the sum (the others
   * sign and unmask), and the site takes the round's result although it never unmasked.
   */
  @Test
  void aSiteWhoseSignatureIsRefusedIsLeftOutWithTheReasonAndStillTakesTheResult() throws Exception {
    Carrier c = federation(settings(PrivacyMode.PRIVACY_MODE_NONE, 1), "fedavg", 10);
    c.dropRefused = true;
    c.tamper = firstCheckWithoutTheLastSurvivor(c);
    c.connectAll();
    c.runRounds(1);
    RoundSummary s = c.coordinator.history().get(0);
    assertTrue(s.committed(), s.reason());
    assertEquals(List.of("site-0", "site-1", "site-2", "site-3"), s.survivors());
    assertTrue(s.failures().stream().anyMatch(f -> f.siteId().equals("site-0")
        && f.reason().startsWith("consistency signature refused")), s.failures().toString());
    assertTrue(s.failures().stream().noneMatch(f -> f.reason().contains("deadline")), s.failures().toString());
    c.target = Integer.MAX_VALUE;
    c.pump();
    assertEquals(1, c.sites.get("site-0").lastRound(), "site-0's input is in the sum: it takes the result");
  }

  @Test
  void sameSeedSameModel() throws Exception {
    Carrier a = federation(settings(PrivacyMode.PRIVACY_MODE_NONE, 3), "fedadam", 10);
    a.connectAll();
    a.runRounds(3);
    double[] first = a.coordinator.model();
    Path other = dir.resolve("second");
    dir = other;
    Carrier b = federation(settings(PrivacyMode.PRIVACY_MODE_NONE, 3), "fedadam", 10);
    b.connectAll();
    b.runRounds(3);
    assertArrayEquals(first, b.coordinator.model(), 0);
  }

  @Test
  void aSiteThatDiesInTheMaskingPhaseIsDroppedAtTheDeadline() throws Exception {
    Carrier c = federation(settings(PrivacyMode.PRIVACY_MODE_NONE, 1), "fedavg", 10);
    c.silentFrom.put("site-2", "ENCRYPTED_SHARES");
    c.connectAll();
    c.pump();
    assertTrue(c.coordinator.history().isEmpty(), "the round waits for site-2 until the deadline");
    c.runRounds(1);
    RoundSummary s = c.coordinator.history().get(0);
    assertTrue(s.committed(), s.reason());
    assertEquals(List.of("site-0", "site-1", "site-3"), s.survivors());
    assertTrue(c.log.events.contains("committed 1 [site-0, site-1, site-3] dropped [site-2]"), c.log.events.toString());
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"ROUND_START", "KEY_LIST", "ENCRYPTED_SHARES", "CONSISTENCY_CHECK",
      "UNMASK_REQUEST"})
  void aSiteKilledInAnySecureAggregationPhaseLeavesACorrectSum(String diesOn) throws Exception {
    // Reference: the same round with site-2 absent from the start is not comparable (sampling
    // differs), so check the sum against the survivors' own updates instead: FedAvg with server
    // rate 1 moves the model by exactly the weighted mean of the survivors' deltas.
    Carrier c = federation(settings(PrivacyMode.PRIVACY_MODE_NONE, 1), "fedavg", 10);
    c.silentFrom.put("site-2", diesOn);
    c.connectAll();
    c.runRounds(1);
    RoundSummary s = c.coordinator.history().get(0);
    assertTrue(s.committed(), diesOn + ": " + s.reason());
    List<String> expected = diesOn.equals("CONSISTENCY_CHECK") || diesOn.equals("UNMASK_REQUEST")
        ? List.of("site-0", "site-1", "site-2", "site-3") // its masked input is in; the others unmask it
        : List.of("site-0", "site-1", "site-3");
    assertEquals(expected, s.survivors(), diesOn);
    double[] mean = new double[3];
    double total = 0;
    double[] trueW = {1.0, -2.0, 0.5};
    org.fedtel.protocol.v1.TrainConfig tc = c.seenBySites.stream().filter(Envelope::hasRoundStart).findFirst().orElseThrow()
        .getRoundStart().getTrainConfig();
    for (String id : expected) {
      int i = Integer.parseInt(id.substring(5));
      LeastSquares t = new LeastSquares(100 + i, trueW, 0.5 * i, 50 + 20 * i);
      double[] d = t.train(1, new double[3], tc, PrivacyParams.getDefaultInstance()).delta();
      for (int j = 0; j < 3; j++) {
        mean[j] += t.exampleCount() * d[j];
      }
      total += t.exampleCount();
    }
    for (int j = 0; j < 3; j++) {
      mean[j] /= total;
    }
    // Fixed point at 2^-24 per unit and weights up to 110: agreement to 1e-5.
    assertArrayEquals(mean, s.model(), 1e-5, diesOn);
  }

  @Test
  void tooManyDropoutsAbortTheRoundAndTheNextOneStarts() throws Exception {
    Carrier c = federation(settings(PrivacyMode.PRIVACY_MODE_NONE, 2), "fedavg", 10);
    c.silentFrom.put("site-1", "KEY_LIST");
    c.silentFrom.put("site-2", "KEY_LIST");
    c.connectAll();
    c.runRounds(1);
    RoundSummary s = c.coordinator.history().get(0);
    assertFalse(s.committed());
    assertTrue(s.reason().contains("2 sites completed phase SHARE, need 3"), s.reason());
    c.silentFrom.clear();
    c.runRounds(2);
    assertTrue(c.coordinator.history().get(1).committed());
    assertEquals(2, c.coordinator.history().get(1).round());
  }

  @Test
  void budgetsLeaveSitesOutOnBothSides() throws Exception {
    // z = 1, one release per round at the discrete mechanism's effective multiplier: a budget of 8
    // at delta 1e-5 allows two rounds and not a third (asserted below).
    Carrier c = federation(settings(PrivacyMode.PRIVACY_MODE_DISTRIBUTED, 3), "fedavg", 8);
    c.connectAll();
    c.runRounds(3);
    List<RoundSummary> h = c.coordinator.history();
    assertTrue(h.get(0).committed() && h.get(1).committed(), h.toString());
    assertFalse(h.get(2).committed());
    assertTrue(h.get(2).reason().contains("budget left"), h.get(2).reason());
    for (int i = 0; i < 4; i++) {
      assertTrue(c.log.events.contains("budget 3 site-" + i), c.log.events.toString());
      double spent = c.sites.get("site-" + i).spentEpsilon();
      assertEquals(spent, c.coordinator.epsilonSpent().get("site-" + i), 1e-12, "both sides account the same spend");
      assertTrue(spent <= 8, "spent " + spent);
    }
  }

  @Test
  void localDpSgdChargesEachSiteItsOwnStepsAndRefusesToOverspend() throws Exception {
    // Mode local with the real trainer: each site runs epochs·⌈n/batch⌉ DP-SGD steps at q = batch/n and
    // both sides charge exactly that; the budget fits two rounds for every site and a third for none.
    RoundSettings settings = settings(PrivacyMode.PRIVACY_MODE_LOCAL, 3);
    int[] sizes = {90, 92, 94, 96}; // close enough that two rounds fit one budget and three fit none
    double[] twoRounds = new double[4];
    double budget = 0;
    double smallestThird = Double.POSITIVE_INFINITY;
    for (int i = 0; i < 4; i++) {
      int n = sizes[i];
      double q = Math.min(1.0, (double) settings.batchSize() / n);
      long steps = (long) settings.localEpochs() * ((n + settings.batchSize() - 1) / settings.batchSize());
      org.fedtel.privacy.accounting.RdpAccountant acc = new org.fedtel.privacy.accounting.RdpAccountant();
      acc.composeSampledGaussian(q, settings.noiseMultiplier(), steps).composeSampledGaussian(q, settings.noiseMultiplier(), steps);
      twoRounds[i] = acc.epsilon(settings.delta());
      budget = Math.max(budget, twoRounds[i] * (1 + 1e-9));
      smallestThird = Math.min(smallestThird, acc.composeSampledGaussian(q, settings.noiseMultiplier(), steps).epsilon(settings.delta()));
    }
    assertTrue(budget < smallestThird, "precondition: " + budget + " < " + smallestThird);

    org.fedtel.telemetry.model.AutoencoderConfig model = new org.fedtel.telemetry.model.AutoencoderConfig(4, new int[] {3},
        org.fedtel.telemetry.model.Activation.RELU, org.fedtel.telemetry.model.Activation.IDENTITY);
    Carrier c = new Carrier();
    TestConsortium keys = new TestConsortium(4);
    for (int i = 0; i < 4; i++) {
      SplittableRandom r = new SplittableRandom(30 + i);
      double[][] x = new double[sizes[i]][4];
      for (double[] row : x) {
        for (int j = 0; j < 4; j++) {
          row[j] = 0.5 * r.nextGaussian();
        }
      }
      String id = "site-" + i;
      c.sites.put(id, keys.session(id, new PrivacyBudget(budget, settings.delta()),
          new org.fedtel.siteagent.AutoencoderTrainer(model, x, new SplittableRandom(100 + i)), keys.witness(id)));
    }
    double[] initial = org.fedtel.telemetry.model.Autoencoder.initialize(model, new SplittableRandom(1)).parameters();
    c.coordinator = new Federation(settings, Strategies.fedAvg(), initial, keys.server(), c.log,
        new StateStore(dir.resolve("state-local")), c.clock, new SplittableRandom(7));
    c.connectAll();
    c.runRounds(3);
    List<RoundSummary> h = c.coordinator.history();
    assertTrue(h.get(0).committed() && h.get(1).committed(), h.toString());
    assertEquals(4, h.get(1).survivors().size());
    assertFalse(Arrays.equals(initial, c.coordinator.model()), "DP-SGD moved the model");
    assertFalse(h.get(2).committed());
    assertTrue(h.get(2).reason().contains("budget left"), h.get(2).reason());
    for (int i = 0; i < 4; i++) {
      double spent = c.sites.get("site-" + i).spentEpsilon();
      assertEquals(twoRounds[i], spent, 1e-9, "site-" + i + " is charged exactly two rounds of its own steps");
      assertEquals(spent, c.coordinator.epsilonSpent().get("site-" + i), 1e-12, "both sides account the same spend");
      assertTrue(c.log.events.contains("budget 3 site-" + i), c.log.events.toString());
    }
  }

  @Test
  void aSiteRefusesARoundItsOwnBudgetCannotPay() throws Exception {
    Carrier c = federation(settings(PrivacyMode.PRIVACY_MODE_DISTRIBUTED, 1), "fedavg", 8);
    // site-3 declares a tiny budget in its session, but the coordinator is told a large one:
    // the site must refuse on its own.
    TestConsortium k = new TestConsortium(4);
    c.sites.put("site-3", k.session("site-3", new PrivacyBudget(0.5, 1e-5),
        new LeastSquares(9, new double[] {1, 1, 1}, 0, 40), k.witness("site-3")));
    Envelope hello = c.sites.get("site-3").hello();
    Envelope lying = hello.toBuilder().setHello(hello.getHello().toBuilder().setBudgetEpsilon(100)).build();
    for (String id : List.of("site-0", "site-1", "site-2")) {
      c.toSites.addAll(c.coordinator.onHello(id, c.sites.get(id).hello()));
    }
    c.toSites.addAll(c.coordinator.onHello("site-3", lying));
    c.runRounds(1);
    RoundSummary s = c.coordinator.history().get(0);
    assertTrue(s.committed());
    assertEquals(List.of("site-0", "site-1", "site-2"), s.survivors());
    assertTrue(s.failures().get(0).reason().startsWith("refused: budget"), s.failures().toString());
    assertEquals(0.0, c.sites.get("site-3").spentEpsilon());
  }

  @Test
  void replayedOutOfRoundAndForgedMessagesAreRefusedWithoutHarm() throws Exception {
    Carrier d = federation(settings(PrivacyMode.PRIVACY_MODE_NONE, 2), "fedavg", 10);
    d.coordinator = new Federation(settings(PrivacyMode.PRIVACY_MODE_NONE, 3), Strategies.fedAvg(), new double[3],
        new TestConsortium(4).server(), d.log, new StateStore(dir.resolve("other")), d.clock, new SplittableRandom(1));
    SiteSession s0 = d.sites.get("site-0");
    d.toSites.addAll(d.coordinator.onHello("site-0", s0.hello()));
    // Envelope claiming another sender.
    Envelope forged = org.fedtel.protocol.Wire.envelope("site-1", 0, 99).setHeartbeat(
        org.fedtel.protocol.v1.Heartbeat.getDefaultInstance()).build();
    RejectedMessageException e = assertThrows(RejectedMessageException.class, () -> d.coordinator.onEnvelope("site-0", forged));
    assertEquals(RejectedMessageException.Reason.SENDER_MISMATCH, e.reason());
    // Unknown sender.
    e = assertThrows(RejectedMessageException.class, () -> d.coordinator.onEnvelope("site-9",
        org.fedtel.protocol.Wire.envelope("site-9", 0, 5).setHeartbeat(org.fedtel.protocol.v1.Heartbeat.getDefaultInstance()).build()));
    assertEquals(RejectedMessageException.Reason.UNKNOWN_SENDER, e.reason());
    // A message for a round that is not in progress.
    Envelope stale = org.fedtel.protocol.Wire.envelope("site-0", 7, 50).setMaskedInput(
        org.fedtel.protocol.v1.MaskedInput.newBuilder().addValues(1).addValues(2).addValues(3).setWeight(1)).build();
    e = assertThrows(RejectedMessageException.class, () -> d.coordinator.onEnvelope("site-0", stale));
    assertEquals(RejectedMessageException.Reason.WRONG_ROUND, e.reason());
    // A replayed sequence number.
    Envelope heartbeat = org.fedtel.protocol.Wire.envelope("site-0", 0, 60).setHeartbeat(
        org.fedtel.protocol.v1.Heartbeat.getDefaultInstance()).build();
    d.coordinator.onEnvelope("site-0", heartbeat);
    e = assertThrows(RejectedMessageException.class, () -> d.coordinator.onEnvelope("site-0", heartbeat));
    assertEquals(RejectedMessageException.Reason.REPLAY, e.reason());
  }

  @Test
  void aSiteRefusesReplayedAndOutOfRoundCoordinatorMessages() throws Exception {
    Carrier c = federation(settings(PrivacyMode.PRIVACY_MODE_NONE, 2), "fedavg", 10);
    c.connectAll();
    c.runRounds(2);
    SiteSession s = c.sites.get("site-0");
    Envelope oldStart = c.seenBySites.stream().filter(Envelope::hasRoundStart).findFirst().orElseThrow();
    org.fedtel.protocol.RejectedMessageException e = assertThrows(org.fedtel.protocol.RejectedMessageException.class,
        () -> s.onEnvelope(oldStart));
    assertEquals(org.fedtel.protocol.RejectedMessageException.Reason.REPLAY, e.reason());
    Envelope renumbered = oldStart.toBuilder().setSequence(1_000_000).build();
    e = assertThrows(org.fedtel.protocol.RejectedMessageException.class, () -> s.onEnvelope(renumbered));
    assertEquals(org.fedtel.protocol.RejectedMessageException.Reason.WRONG_ROUND, e.reason());
  }

  @Test
  void aRestartedCoordinatorRecordsTheInterruptedRoundAndResumes() throws Exception {
    Carrier c = federation(settings(PrivacyMode.PRIVACY_MODE_NONE, 3), "fedavgm", 10);
    c.connectAll();
    c.runRounds(1);
    // Round 2 is in progress: kill the coordinator (drop the engine) before anyone answers.
    c.toSites.clear();
    double[] afterRound1 = c.coordinator.model();
    TestConsortium keys = new TestConsortium(4);
    Federation restarted = new Federation(settings(PrivacyMode.PRIVACY_MODE_NONE, 3), Strategies.create("fedavgm", Map.of()),
        new double[3], keys.server(), c.log, new StateStore(dir.resolve("state")), c.clock, new SplittableRandom(8));
    assertEquals(1, restarted.committedRound());
    assertArrayEquals(afterRound1, restarted.model(), 0);
    assertTrue(c.log.events.stream().anyMatch(e -> e.startsWith("aborted 2 coordinator stopped during the round")), c.log.events.toString());
    c.coordinator = restarted;
    for (String id : c.sites.keySet()) {
      c.sites.put(id, keys.session(id, new PrivacyBudget(10, 1e-5),
          new LeastSquares(100 + Integer.parseInt(id.substring(5)), new double[] {1.0, -2.0, 0.5}, 0, 50), keys.witness(id)));
    }
    c.connectAll();
    c.runRounds(1);
    // `rounds` is the round number to train up to: the aborted round 2 counts, so round 3 ends it.
    assertTrue(restarted.finished());
    assertEquals(List.of(3L), restarted.history().stream().map(RoundSummary::round).toList(),
        "round numbers are never reused after a restart");
    Set<String> committed = new HashSet<>();
    for (String e : c.log.events) {
      if (e.startsWith("committed")) {
        committed.add(e.split(" ")[1]);
      }
    }
    assertEquals(Set.of("1", "3"), committed);
  }
}
