package org.fedtel.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.fedtel.cli.InMemoryFederationTest.Carrier;
import org.fedtel.coordinator.Federation;
import org.fedtel.coordinator.RoundSettings;
import org.fedtel.coordinator.RoundSummary;
import org.fedtel.coordinator.StateStore;
import org.fedtel.coordinator.StatisticsSettings;
import org.fedtel.coordinator.strategy.Strategies;
import org.fedtel.privacy.accounting.PrivacyBudget;
import org.fedtel.privacy.accounting.RdpAccountant;
import org.fedtel.protocol.FeatureMoments;
import org.fedtel.protocol.ScoreHistogram;
import org.fedtel.protocol.v1.Envelope;
import org.fedtel.protocol.v1.PrivacyMode;
import org.fedtel.protocol.v1.RoundPurpose;
import org.fedtel.siteagent.AutoencoderTrainer;
import org.fedtel.telemetry.features.Scaler;
import org.fedtel.telemetry.model.Activation;
import org.fedtel.telemetry.model.Autoencoder;
import org.fedtel.telemetry.model.AutoencoderConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The federated statistics rounds through both engines (in-memory carrier, real secure aggregation):
 * the scaling and the threshold every site ends up with, against the pooled values computed directly,
 * exactly without privacy and within the noise under DP; their charges; resume; refusals.
 */
class FederatedStatisticsTest {
  static final int FEATURES = 4;
  static final AutoencoderConfig MODEL = new AutoencoderConfig(FEATURES, new int[] {3}, Activation.RELU, Activation.IDENTITY);

  @TempDir Path dir;
  final Map<String, AutoencoderTrainer> trainers = new TreeMap<>();
  final Map<String, PrivacyBudget> budgets = new TreeMap<>();

  /** Site i's raw windows: non-IID, one feature in the hundreds of thousands, one negative, one constant. */
  static double[][] windows(int site) {
    SplittableRandom r = new SplittableRandom(40 + site);
    double[][] w = new double[300 + 50 * site][FEATURES];
    for (double[] row : w) {
      row[0] = Math.exp(11 + 0.4 * site + 0.5 * r.nextGaussian());
      row[1] = 0.2 + 0.1 * site + 0.05 * r.nextGaussian();
      row[2] = -Math.exp(1 + 0.3 * r.nextGaussian());
      row[3] = 5;
    }
    return w;
  }

  static RoundSettings settings(PrivacyMode mode, int rounds) {
    int bits = mode == PrivacyMode.PRIVACY_MODE_DISTRIBUTED ? 32 : 64;
    return new RoundSettings(rounds, 4, 3, Duration.ofSeconds(5), mode, 1.0, 1.0, 1e-5, 1, 32, 0.05, bits, 0)
        .withStatistics(StatisticsSettings.of(FEATURES, 3));
  }

  Carrier federation(RoundSettings settings) throws Exception {
    Carrier c = new Carrier();
    TestConsortium keys = new TestConsortium(4);
    for (int i = 0; i < 4; i++) {
      String id = "site-" + i;
      double[][] raw = windows(i);
      AutoencoderTrainer t = AutoencoderTrainer.fromRawWindows(MODEL, Scaler.fit(Scaler.Kind.STANDARD, raw), raw, new SplittableRandom(i));
      trainers.put(id, t);
      budgets.put(id, new PrivacyBudget(1e6, 1e-5));
      c.sites.put(id, keys.session(id, budgets.get(id), t, keys.witness(id)).statisticsRandom(new SplittableRandom(70 + i)));
    }
    double[] initial = Autoencoder.initialize(MODEL, new SplittableRandom(1)).parameters();
    c.coordinator = new Federation(settings, Strategies.fedAvg(), initial, keys.server(), c.log,
        new StateStore(dir.resolve("state")), c.clock, new SplittableRandom(7));
    return c;
  }

  /** The pooled mean and population deviation of sign(x) log1p(|x|) per feature over all sites. */
  static double[][] pooledLogMoments() {
    double[] mean = new double[FEATURES];
    double[] sd = new double[FEATURES];
    List<double[]> all = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      all.addAll(Arrays.asList(windows(i)));
    }
    for (int f = 0; f < FEATURES; f++) {
      double s = 0;
      for (double[] w : all) {
        s += Math.signum(w[f]) * Math.log1p(Math.abs(w[f]));
      }
      mean[f] = s / all.size();
      double ss = 0;
      for (double[] w : all) {
        double d = Math.signum(w[f]) * Math.log1p(Math.abs(w[f])) - mean[f];
        ss += d * d;
      }
      sd[f] = Math.max(FeatureMoments.MIN_SCALE, Math.sqrt(ss / all.size()));
    }
    return new double[][] {mean, sd};
  }

  /** The pooled 99th percentile of the sites' training scores under {@code model}. */
  double pooledPercentile(double[] model) {
    List<Double> scores = new ArrayList<>();
    for (AutoencoderTrainer t : trainers.values()) {
      for (double s : t.statisticsSource().trainingScores(model)) {
        scores.add(s);
      }
    }
    scores.sort(null);
    return scores.get((int) Math.ceil(0.99 * scores.size()) - 1);
  }

  @Test
  void withoutNoiseEverySiteGetsThePooledScalingAndThePooledPercentileAsThreshold() throws Exception {
    Carrier c = federation(settings(PrivacyMode.PRIVACY_MODE_NONE, 2));
    c.connectAll();
    c.runRounds(5);
    assertTrue(c.coordinator.finished());
    List<RoundSummary> h = c.coordinator.history();
    assertEquals(List.of("feature_means", "feature_deviations", "training", "training", "score_histogram"),
        h.stream().map(RoundSummary::purpose).toList());
    for (RoundSummary s : h) {
      assertTrue(s.committed(), s.reason());
      assertEquals(4, s.survivors().size());
    }
    FeatureMoments.Fit fit = c.coordinator.scaling().orElseThrow();
    double[][] pooled = pooledLogMoments();
    assertArrayEquals(pooled[0], fit.offset(), 1e-6);
    assertArrayEquals(pooled[1], fit.scale(), 1e-6);
    assertEquals(FeatureMoments.MIN_SCALE, fit.scale()[3], 0, "the constant feature gets the floor");
    for (AutoencoderTrainer t : trainers.values()) {
      assertEquals(Scaler.of(Scaler.Kind.SIGNED_LOG_STANDARD, fit.offset(), fit.scale()), t.scaler(), "every site re-scaled");
    }
    // The training rounds' RoundStarts carry the scaling; the threshold is of the final model.
    assertTrue(c.seenBySites.stream().filter(Envelope::hasRoundStart)
        .filter(e -> e.getRoundStart().getPurpose() == RoundPurpose.ROUND_PURPOSE_TRAINING)
        .allMatch(e -> e.getRoundStart().hasScaling()));
    double exact = pooledPercentile(c.coordinator.model());
    double threshold = c.coordinator.threshold();
    assertEquals(ScoreHistogram.bin(exact, ScoreHistogram.DEFAULT_BINS, ScoreHistogram.DEFAULT_BOUND),
        ScoreHistogram.bin(threshold, ScoreHistogram.DEFAULT_BINS, ScoreHistogram.DEFAULT_BOUND),
        "threshold " + threshold + ", pooled 99th percentile " + exact);
    assertEquals(threshold, h.get(4).metrics().get("threshold"), 0);
    // Every statistics round is a use of every site's data in the log, like a training round.
    for (int round = 1; round <= 5; round++) {
      for (String id : trainers.keySet()) {
        assertTrue(c.log.hasDataUse(id, round), id + " round " + round);
      }
    }
  }

  @Test
  void withThresholdEveryTheIntermediateModelsGetAThresholdToo() throws Exception {
    RoundSettings settings = new RoundSettings(2, 4, 3, Duration.ofSeconds(5), PrivacyMode.PRIVACY_MODE_NONE, 1.0, 1.0, 1e-5, 1, 32,
        0.05, 64, 0).withStatistics(StatisticsSettings.of(FEATURES, 3).withThresholdEvery(1));
    Carrier c = federation(settings);
    c.connectAll();
    c.runRounds(6);
    assertTrue(c.coordinator.finished());
    List<RoundSummary> h = c.coordinator.history();
    assertEquals(List.of("feature_means", "feature_deviations", "training", "score_histogram", "training", "score_histogram"),
        h.stream().map(RoundSummary::purpose).toList());
    assertArrayEquals(h.get(2).model(), h.get(3).model(), 0, "a score-histogram round leaves the model as it is");
    double first = h.get(3).metrics().get("threshold");
    double last = h.get(5).metrics().get("threshold");
    assertTrue(first != last, "two models, two thresholds: " + first);
    assertEquals(last, c.coordinator.threshold(), 0);
  }

  @Test
  void underDpTheStatisticsAreNoisyCloseAndChargedToEverySite() throws Exception {
    Carrier c = federation(settings(PrivacyMode.PRIVACY_MODE_DISTRIBUTED, 2));
    c.connectAll();
    c.runRounds(5);
    assertTrue(c.coordinator.finished(), c.coordinator.history().toString());
    FeatureMoments.Fit fit = c.coordinator.scaling().orElseThrow();
    double[][] pooled = pooledLogMoments();
    // Noise std of a mean: B * z * sqrt(F + 1) * sqrt(4 sites) / windows = 20 * 3 * sqrt(5) * 2 / 1700 = 0.16.
    double meanSd = 20 * 3 * Math.sqrt(5) * 2 / 1700;
    boolean anyDifferent = false;
    for (int f = 0; f < FEATURES; f++) {
      assertEquals(pooled[0][f], fit.offset()[f], 5 * meanSd, "mean of feature " + f);
      anyDifferent |= Math.abs(pooled[0][f] - fit.offset()[f]) > 1e-6;
    }
    assertTrue(anyDifferent, "the means carry no noise");
    // Each statistics round charges one Gaussian release of multiplier 3: the three rounds cost at least
    // their composition, and coordinator and sites account the same.
    double statisticsOnly = new RdpAccountant().composeSampledGaussian(1.0, 3, 3).epsilon(1e-5);
    Map<String, Double> coordinatorView = c.coordinator.epsilonSpent();
    for (Map.Entry<String, PrivacyBudget> b : budgets.entrySet()) {
      assertTrue(b.getValue().spentEpsilon() > statisticsOnly, b.getKey() + " spent " + b.getValue().spentEpsilon());
      assertEquals(b.getValue().spentEpsilon(), coordinatorView.get(b.getKey()), 1e-9, b.getKey());
    }
    assertTrue(c.coordinator.threshold() > 0 && Double.isFinite(c.coordinator.threshold()));
  }

  @Test
  void aRestartedCoordinatorContinuesFromTheRecordedMeans() throws Exception {
    Carrier c = federation(settings(PrivacyMode.PRIVACY_MODE_NONE, 1));
    c.connectAll();
    c.runRounds(1);
    assertEquals("feature_means", c.coordinator.history().get(0).purpose());
    c.toSites.clear(); // the coordinator is killed as round 2 starts
    TestConsortium keys = new TestConsortium(4);
    Federation restarted = new Federation(settings(PrivacyMode.PRIVACY_MODE_NONE, 1), Strategies.fedAvg(),
        Autoencoder.initialize(MODEL, new SplittableRandom(1)).parameters(), keys.server(), c.log,
        new StateStore(dir.resolve("state")), c.clock, new SplittableRandom(8));
    assertFalse(restarted.scaling().isPresent());
    c.coordinator = restarted;
    for (String id : c.sites.keySet()) {
      c.sites.put(id, keys.session(id, budgets.get(id), trainers.get(id), keys.witness(id)));
    }
    c.seenBySites.clear();
    c.connectAll();
    c.runRounds(3); // deviations (round 3, after the aborted round 2), training, score histogram
    assertTrue(restarted.finished());
    assertEquals(List.of("feature_deviations", "training", "score_histogram"),
        restarted.history().stream().map(RoundSummary::purpose).toList());
    Envelope deviations = c.seenBySites.stream().filter(Envelope::hasRoundStart).findFirst().orElseThrow();
    double[] centre = deviations.getRoundStart().getFederatedStatistics().getCenterList().stream().mapToDouble(Double::doubleValue).toArray();
    assertArrayEquals(pooledLogMoments()[0], centre, 1e-6, "the deviations round is centred on the means recorded before the restart");
    assertArrayEquals(pooledLogMoments()[1], restarted.scaling().orElseThrow().scale(), 1e-6);
  }

  @Test
  void aSiteThatMissedTheFeatureRoundsGetsTheScalingWithItsFirstTrainingRound() throws Exception {
    Carrier c = federation(settings(PrivacyMode.PRIVACY_MODE_NONE, 2));
    // site-3 is away for the feature rounds: only three sites connect (min_participants = 3).
    org.fedtel.siteagent.SiteSession away = c.sites.remove("site-3");
    c.connectAll();
    c.runRounds(2);
    FeatureMoments.Fit fit = c.coordinator.scaling().orElseThrow();
    Scaler expected = Scaler.of(Scaler.Kind.SIGNED_LOG_STANDARD, fit.offset(), fit.scale());
    assertTrue(!expected.equals(trainers.get("site-3").scaler()), "site-3 still scales with its own statistics");
    c.sites.put("site-3", away);
    c.toSites.addAll(c.coordinator.onHello("site-3", away.hello()));
    c.runRounds(3);
    RoundSummary third = c.coordinator.history().get(2);
    assertEquals("training", third.purpose());
    assertTrue(third.survivors().contains("site-3"), third.survivors().toString());
    assertEquals(expected, trainers.get("site-3").scaler(), "the RoundStart's scaling was applied before training");
  }

  @Test
  void aSiteThatCannotComputeTheStatisticsRefusesAndTheOthersGoOn() throws Exception {
    Carrier c = federation(settings(PrivacyMode.PRIVACY_MODE_NONE, 1));
    TestConsortium keys = new TestConsortium(4);
    // site-3's trainer keeps no raw windows (it was given scaled ones): it cannot take part.
    c.sites.put("site-3", keys.session("site-3", budgets.get("site-3"),
        new AutoencoderTrainer(MODEL, windows(3), new SplittableRandom(3)), keys.witness("site-3")));
    c.connectAll();
    c.runRounds(1);
    RoundSummary s = c.coordinator.history().get(0);
    assertTrue(s.committed(), s.reason());
    assertEquals(List.of("site-0", "site-1", "site-2"), s.survivors());
    assertEquals("site-3", s.failures().get(0).siteId());
    assertTrue(s.failures().get(0).reason().contains("round request rejected: this site's trainer does not take part"),
        s.failures().get(0).reason());
  }

  @Test
  void aSiteRefusesAStatisticsRoundWhoseSensitivityIsNotItsOwn() throws Exception {
    Carrier c = federation(settings(PrivacyMode.PRIVACY_MODE_DISTRIBUTED, 1));
    // A coordinator understating the sums' sensitivity would have the sites add too little noise.
    c.tamper = e -> !e.hasRoundStart() || e.getRoundStart().getPurpose() == RoundPurpose.ROUND_PURPOSE_TRAINING ? e
        : e.toBuilder().setRoundStart(e.getRoundStart().toBuilder().setPrivacy(
            e.getRoundStart().getPrivacy().toBuilder().setClipNorm(1.0))).build();
    c.connectAll();
    c.runRounds(1);
    RoundSummary s = c.coordinator.history().get(0);
    assertFalse(s.committed());
    assertEquals(4, s.failures().size());
    assertTrue(s.failures().get(0).reason().contains("states sensitivity 1.0, this site's sums have " + Math.sqrt(5)),
        s.failures().get(0).reason());
    for (PrivacyBudget b : budgets.values()) {
      assertEquals(0, b.spentEpsilon(), 0, "nothing spent on a refused round");
    }
  }
}
