package org.fedtel.simulations.federation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.fedtel.privacy.accounting.RdpAccountant;
import org.fedtel.protocol.v1.PrivacyMode;
import org.fedtel.simulations.experiment.ResultsCsv;
import org.fedtel.simulations.experiment.RoundRecord;
import org.fedtel.simulations.experiment.RunKind;
import org.fedtel.simulations.experiment.RunSpec;
import org.fedtel.simulations.generator.GeneratorConfig;
import org.fedtel.telemetry.features.FeatureMode;
import org.fedtel.telemetry.features.WindowSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code fedtel simulate --federated-statistics}: the deployed statistics rounds inside the simulated federation. */
class FederatedStatisticsRunTest {
  static final double DELTA = 1e-5;
  static final SimulationSettings WITHOUT = new SimulationSettings(3, 1, 32, 0.05, "fedavg", 1.0, 1.0, 32);
  static final SimulationSettings WITH = WITHOUT.withFederatedStatistics(true);
  static List<SiteData> sites;

  @BeforeAll
  static void generate() {
    GeneratorConfig config = GeneratorConfig.builder().sites(4).nodesPerSite(1).durationSeconds(8 * 3600)
        .intervalSeconds(30).anomalyRate(0.1).nonIidAlpha(0.3).seed(7).build();
    sites = Sites.generated(config, new WindowSpec(12, 6, FeatureMode.STATISTICS));
  }

  @Test
  void privateRunChargesTheStatisticsRoundsAndStaysWithinTheTarget() throws Exception {
    RunSpec spec = new RunSpec("federated_distributed_eps50_drop0.0", RunKind.FEDERATED, "distributed", 50, DELTA, 0.0, 5);
    List<RoundRecord> with = InProcessFederation.run(sites, spec, WITH, r -> {});
    List<RoundRecord> without = InProcessFederation.run(sites, spec, WITHOUT, r -> {});

    assertEquals(WITH.rounds(), with.size(), "one record per training round, none for the statistics rounds");
    for (int i = 0; i < with.size(); i++) {
      RoundRecord r = with.get(i);
      assertEquals(i + 1, r.round(), "rounds are numbered by training round");
      assertTrue(r.federatedStatistics());
      assertEquals(4, r.survivors());
      assertTrue(r.maxEpsilon() <= spec.epsilon() && r.maxEpsilonChargedBySite() <= spec.epsilon(),
          "round " + r.round() + ": epsilon " + r.maxEpsilon() + " / site view " + r.maxEpsilonChargedBySite() + " within 50");
      assertEquals(i == with.size() - 1, !Double.isNaN(r.federatedThreshold()),
          "only the final model has the federation's threshold (round " + r.round() + ")");
    }
    RoundRecord last = with.get(with.size() - 1);
    assertTrue(last.federatedThreshold() > 0, "threshold " + last.federatedThreshold());
    // The first training round's record already carries the two feature rounds' charge...
    double featureRounds = InProcessFederation.statisticsAccountant(2).epsilon(DELTA);
    double firstTraining = without.get(0).maxEpsilon();
    assertTrue(with.get(0).maxEpsilon() > featureRounds && with.get(0).maxEpsilon() > firstTraining,
        "round 1 with statistics " + with.get(0).maxEpsilon() + " includes the feature rounds' " + featureRounds
            + " on top of a training round (" + firstTraining + " without statistics)");
    // ...and the final one all three: it reaches the target like the run without them, with less left for training.
    assertTrue(last.maxEpsilon() > 0.9 * spec.epsilon(), "final epsilon " + last.maxEpsilon() + " approaches the target");
    assertTrue(without.get(without.size() - 1).maxEpsilon() > 0.9 * spec.epsilon());
    for (RoundRecord r : without) {
      assertFalse(r.federatedStatistics());
      assertTrue(Double.isNaN(r.federatedThreshold()));
    }
  }

  @Test
  void nonPrivateRunIsReproducibleAndWritesTheNewColumns() throws Exception {
    RunSpec spec = new RunSpec("federated_no_privacy_drop0.0", RunKind.FEDERATED_NO_PRIVACY, "none",
        Double.POSITIVE_INFINITY, DELTA, 0.0, 9);
    List<RoundRecord> a = InProcessFederation.run(sites, spec, WITH, r -> {});
    List<RoundRecord> b = InProcessFederation.run(sites, spec, WITH, r -> {});
    assertEquals(WITH.rounds(), a.size());
    for (int i = 0; i < a.size(); i++) {
      assertEquals(withoutTime(ResultsCsv.row(spec, a.get(i))), withoutTime(ResultsCsv.row(spec, b.get(i))), "round " + (i + 1));
    }
    String[] cells = ResultsCsv.row(spec, a.get(a.size() - 1)).split(",", -1);
    assertEquals(ResultsCsv.COLUMNS.size(), cells.length);
    assertEquals("1", cells[ResultsCsv.COLUMNS.indexOf("federated_statistics")]);
    assertEquals("federated", cells[ResultsCsv.COLUMNS.indexOf("threshold_source")]);
    assertTrue(Double.parseDouble(cells[ResultsCsv.COLUMNS.indexOf("threshold")]) > 0);
    String[] first = ResultsCsv.row(spec, a.get(0)).split(",", -1);
    assertEquals("site_p99", first[ResultsCsv.COLUMNS.indexOf("threshold_source")]);
    assertEquals("nan", first[ResultsCsv.COLUMNS.indexOf("threshold")]);
    assertEquals(0, a.get(a.size() - 1).maxEpsilon(), "no DP, no epsilon");
  }

  @Test
  void aTargetTheStatisticsRoundsAloneExceedIsRefused() {
    double alone = InProcessFederation.statisticsAccountant(3).epsilon(DELTA);
    assertTrue(alone > 2.5 && alone < 2.6, "3 rounds at z = 3 cost about 2.54 (docs/FEDERATION.md): " + alone);
    RunSpec spec = new RunSpec("federated_distributed_eps2_drop0.0", RunKind.FEDERATED, "distributed", 2, DELTA, 0.0, 5);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> InProcessFederation.run(sites, spec, WITH, r -> {}));
    assertTrue(e.getMessage().contains("--epsilon 2 leaves nothing for training")
        && e.getMessage().contains("statistics rounds alone spend epsilon 2.54"), e.getMessage());
    // Without the statistics rounds the same target is fine.
    assertTrue(InProcessFederation.noiseMultiplier(PrivacyMode.PRIVACY_MODE_DISTRIBUTED, spec, WITHOUT, sites) > 0);
  }

  @Test
  void calibrationLeavesRoomForTheStatisticsRoundsInBothModes() {
    for (String mode : List.of("distributed", "local")) {
      PrivacyMode m = mode.equals("local") ? PrivacyMode.PRIVACY_MODE_LOCAL : PrivacyMode.PRIVACY_MODE_DISTRIBUTED;
      RunSpec spec = new RunSpec("r", RunKind.FEDERATED, mode, 6, DELTA, 0.0, 1);
      double zWith = InProcessFederation.noiseMultiplier(m, spec, WITH, sites);
      double zWithout = InProcessFederation.noiseMultiplier(m, spec, WITHOUT, sites);
      assertTrue(zWith > zWithout, mode + ": less budget for training needs more noise: " + zWith + " vs " + zWithout);
      double worst = 0;
      for (SiteData s : sites) {
        double[] qSteps = m == PrivacyMode.PRIVACY_MODE_LOCAL ? InProcessFederation.localCharge(s.train().length, WITH)
            : new double[] {1, 1};
        // Distributed: the charged multiplier is at least 0.95 of the configured one.
        double charged = m == PrivacyMode.PRIVACY_MODE_LOCAL ? zWith : 0.95 * zWith;
        RdpAccountant acc = InProcessFederation.statisticsAccountant(2);
        for (int r = 0; r < WITH.rounds(); r++) {
          acc.composeSampledGaussian(qSteps[0], charged, (long) qSteps[1]);
        }
        acc.composeSampledGaussian(1.0, InProcessFederation.STATISTICS_NOISE_MULTIPLIER, 1);
        worst = Math.max(worst, acc.epsilon(DELTA));
      }
      assertTrue(worst <= spec.epsilon() && worst > 0.999 * spec.epsilon(),
          mode + ": statistics and training rounds together spend " + worst + " of " + spec.epsilon());
    }
  }

  private static String withoutTime(String row) {
    String[] cells = row.split(",", -1);
    cells[ResultsCsv.COLUMNS.indexOf("round_millis")] = "";
    return String.join(",", cells);
  }
}
