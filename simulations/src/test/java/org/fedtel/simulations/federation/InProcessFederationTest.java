package org.fedtel.simulations.federation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.fedtel.privacy.accounting.RdpAccountant;
import org.fedtel.protocol.v1.PrivacyMode;
import org.fedtel.simulations.experiment.Dropout;
import org.fedtel.simulations.experiment.ResultsCsv;
import org.fedtel.simulations.experiment.RoundRecord;
import org.fedtel.simulations.experiment.RunKind;
import org.fedtel.simulations.experiment.RunSpec;
import org.fedtel.simulations.generator.GeneratorConfig;
import org.fedtel.telemetry.features.FeatureMode;
import org.fedtel.telemetry.features.WindowSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class InProcessFederationTest {
  static List<SiteData> sites;
  static final SimulationSettings SETTINGS = new SimulationSettings(4, 2, 32, 0.05, "fedavg", 1.0, 1.0, 32);

  @BeforeAll
  static void generate() {
    GeneratorConfig config = GeneratorConfig.builder().sites(4).nodesPerSite(2).durationSeconds(12 * 3600)
        .intervalSeconds(30).anomalyRate(0.1).nonIidAlpha(0.3).seed(3).build();
    sites = Sites.generated(config, new WindowSpec(12, 6, FeatureMode.STATISTICS));
  }

  @Test
  void privateFederationIsDeterministicAndStaysWithinTheTargetEpsilon() throws Exception {
    // Site-level DP with 4 sites needs a large epsilon before the noise (std z*C on the sum of 4
    // clipped updates) stops swamping the model; at 50 the model still trains.
    RunSpec spec = new RunSpec("federated_distributed_eps50_drop0.0", RunKind.FEDERATED, "distributed", 50, 1e-5, 0.0, 11);
    List<RoundRecord> a = InProcessFederation.run(sites, spec, SETTINGS, r -> {});
    // The sites' work on two threads: the coordinator sees their replies in the same order.
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<RoundRecord> b;
    try {
      b = InProcessFederation.run(sites, spec, SETTINGS, r -> {}, pool);
    } finally {
      pool.shutdownNow();
    }
    assertEquals(SETTINGS.rounds(), a.size());
    for (int i = 0; i < a.size(); i++) {
      assertEquals(ResultsCsv.row(spec, strip(a.get(i))), ResultsCsv.row(spec, strip(b.get(i))), "round " + (i + 1));
      assertEquals(4, a.get(i).survivors(), "no dropout: every site survives");
    }
    RoundRecord last = a.get(a.size() - 1);
    assertTrue(last.maxEpsilon() > 0.5 * spec.epsilon() && last.maxEpsilon() <= spec.epsilon(),
        "epsilon spent " + last.maxEpsilon() + " approaches but stays within the target " + spec.epsilon());
    assertTrue(Double.isFinite(last.trainLoss()));
  }

  @Test
  void localDpSgdFederationChargesEachSiteExactlyTheAccountantsEpsilonAndLearns() throws Exception {
    RunSpec spec = new RunSpec("federated_local_eps8_drop0.0", RunKind.FEDERATED, "local", 8, 1e-5, 0.0, 13);
    SimulationSettings settings = new SimulationSettings(4, 1, 32, 0.05, "fedavg", 1.0, 1.0, 32);
    double z = InProcessFederation.noiseMultiplier(PrivacyMode.PRIVACY_MODE_LOCAL, spec, settings, sites);
    List<RoundRecord> a = InProcessFederation.run(sites, spec, settings, r -> {});
    List<RoundRecord> b = InProcessFederation.run(sites, spec, settings, r -> {});
    assertEquals(settings.rounds(), a.size());
    double maxFinal = 0;
    for (int r = 0; r < a.size(); r++) {
      assertEquals(ResultsCsv.row(spec, strip(a.get(r))), ResultsCsv.row(spec, strip(b.get(r))), "same seed, same round " + (r + 1));
      assertEquals(4, a.get(r).survivors(), "every site pays every round");
      for (int i = 0; i < sites.size(); i++) {
        // Independent of the engines: q = min(1, batch/n), epochs·⌈n/batch⌉ steps per round, r+1 rounds.
        int n = sites.get(i).train().length;
        long steps = (long) settings.localEpochs() * ((n + settings.batchSize() - 1) / settings.batchSize());
        RdpAccountant acc = new RdpAccountant();
        for (int k = 0; k <= r; k++) {
          acc.composeSampledGaussian(Math.min(1.0, (double) settings.batchSize() / n), z, steps);
        }
        assertEquals(acc.epsilon(spec.delta()), a.get(r).epsilonPerSite()[i], 1e-9, "site " + i + " round " + (r + 1));
      }
    }
    RoundRecord last = a.get(a.size() - 1);
    for (double e : last.epsilonPerSite()) {
      maxFinal = Math.max(maxFinal, e);
      assertTrue(e <= spec.epsilon(), "within the target: " + e);
    }
    assertTrue(maxFinal > 0.99 * spec.epsilon(), "the calibrated multiplier spends the target: " + maxFinal);
    // Mode local releases only the DP-SGD update: no training loss leaves a site.
    assertTrue(Double.isNaN(last.trainLoss()), "no loss is released in mode local: " + last.trainLoss());
  }

  @Test
  void localNoiseMultiplierCoversEverySiteNotOnlyTheSmallest() {
    RunSpec spec = new RunSpec("x", RunKind.FEDERATED, "local", 2, 1e-5, 0.0, 1);
    SimulationSettings settings = new SimulationSettings(3, 2, 32, 0.05, "fedavg", 1.0, 1.0, 32);
    double z = InProcessFederation.noiseMultiplier(PrivacyMode.PRIVACY_MODE_LOCAL, spec, settings, sites);
    for (SiteData s : sites) {
      int n = s.train().length;
      long steps = 3L * 2 * ((n + 31) / 32);
      double eps = new RdpAccountant().composeSampledGaussian(Math.min(1.0, 32.0 / n), z, steps).epsilon(1e-5);
      assertTrue(eps <= 2 * (1 + 1e-9), s.id() + " spends " + eps);
    }
  }

  @Test
  void dropoutsLeaveFewerSurvivorsButRoundsStillCommit() throws Exception {
    RunSpec spec = new RunSpec("federated-nodp_drop0.3", RunKind.FEDERATED_NO_PRIVACY, "none", Double.POSITIVE_INFINITY, 1e-5, 0.3, 5);
    List<RoundRecord> rounds = InProcessFederation.run(sites, spec, new SimulationSettings(6, 1, 32, 0.05, "fedavg", 1.0, 1.0, 32), r -> {});
    int total = rounds.stream().mapToInt(RoundRecord::survivors).sum();
    assertTrue(total < 6 * 4, "some sites dropped out: " + total + " survivors in 6 rounds of 4");
    assertTrue(rounds.stream().anyMatch(r -> r.survivors() >= 3), "rounds commit with the survivors");
  }

  @Test
  void federationBeatsTheMedianLocalOnlyModelOnNonIidSites() throws Exception {
    RunSpec local = new RunSpec("local-only", RunKind.LOCAL_ONLY, "none", Double.POSITIVE_INFINITY, 1e-5, 0, 11);
    RunSpec federated = new RunSpec("federated-nodp_drop0.0", RunKind.FEDERATED_NO_PRIVACY, "none", Double.POSITIVE_INFINITY, 1e-5, 0, 11);
    RoundRecord l = last(Baselines.localOnly(sites, local, SETTINGS, r -> {}));
    RoundRecord f = last(InProcessFederation.run(sites, federated, SETTINGS, r -> {}));
    assertTrue(f.quality().f1() > l.quality().f1(), "federated F1 " + f.quality().f1() + " vs median local-only F1 " + l.quality().f1());
    assertTrue(f.quality().rocAuc() > l.quality().rocAuc(), "federated ROC-AUC " + f.quality().rocAuc() + " vs local " + l.quality().rocAuc());
  }

  /** Runs 4 rounds without privacy (fast) with the given dropout. */
  private static List<RoundRecord> run(Dropout dropout, long seed) throws Exception {
    RunSpec spec = new RunSpec("federated-nodp_" + dropout.idPart(), RunKind.FEDERATED_NO_PRIVACY, "none",
        Double.POSITIVE_INFINITY, 1e-5, dropout, seed);
    return InProcessFederation.run(sites, spec, new SimulationSettings(5, 1, 32, 0.05, "fedavg", 1.0, 1.0, 32), r -> {});
  }

  @Test
  void dropoutAtAChosenPhaseDropsSitesInThatPhaseOnly() throws Exception {
    Dropout[] options = {new Dropout(0, 0.3, 0, 0, 0), new Dropout(0, 0, 0.3, 0, 0), new Dropout(0, 0, 0, 0.3, 0)};
    for (int k = 0; k < options.length; k++) {
      int phase = k + 1; // after advertise -> share, after share -> mask, after mask -> unmask
      // Seed 22 for unmask: a round that commits with a site missing in unmask and is not the last.
      List<RoundRecord> rounds = run(options[k], phase == 3 ? 22 : 21);
      int dropped = 0;
      for (RoundRecord r : rounds) {
        int[] d = r.droppedByPhase();
        for (int p = 0; p < d.length; p++) {
          if (p != phase) {
            assertEquals(0, d[p], options[k] + ": round " + r.round() + " dropped in phase " + RoundRecord.PHASES.get(p));
          }
        }
        dropped += d[phase];
        assertEquals(0, r.stragglersCut());
        if (r.survivors() > 0) {
          // Sites that vanish after sending their masked input are still in the aggregate.
          assertEquals(phase == 3 ? r.sampled() : r.sampled() - d[phase], r.survivors(), options[k] + " round " + r.round());
        }
      }
      assertTrue(dropped > 0, options[k] + ": some site dropped in phase " + RoundRecord.PHASES.get(phase));
      if (phase == 3) {
        // A site that vanished in unmask is sent the RoundResult of a committed round; it must stay
        // silent and answer the next round's RoundStart as usual.
        boolean committedWithUnmaskDrop = false;
        for (RoundRecord r : rounds.subList(0, rounds.size() - 1)) {
          committedWithUnmaskDrop |= r.survivors() > 0 && r.droppedByPhase()[3] > 0;
        }
        assertTrue(committedWithUnmaskDrop, "a round before the last committed without a site that vanished in unmask: "
            + rounds.stream().map(r -> r.survivors() + "/" + java.util.Arrays.toString(r.droppedByPhase())).toList());
      }
    }
    List<RoundRecord> none = run(Dropout.NONE, 21);
    for (RoundRecord r : none) {
      assertArrayEquals(new int[4], r.droppedByPhase(), "no dropout, no drops");
      assertEquals(r.sampled(), r.survivors());
    }
  }

  @Test
  void stragglersAreCutAtTheMaskingDeadlineAndTheCoordinatorChargesEveryRecordedDataUse() throws Exception {
    RunSpec spec = new RunSpec("federated_distributed_eps50_drop0.0_strag0.3", RunKind.FEDERATED, "distributed", 50, 1e-5,
        new Dropout(0, 0, 0, 0, 0.3), 23);
    SimulationSettings settings = new SimulationSettings(4, 1, 32, 0.05, "fedavg", 1.0, 1.0, 32);
    List<RoundRecord> rounds = InProcessFederation.run(sites, spec, settings, r -> {});
    int cut = 0;
    for (RoundRecord r : rounds) {
      int[] d = r.droppedByPhase();
      assertEquals(d[2], r.stragglersCut(), "only stragglers are dropped, all in the masking phase: round " + r.round());
      assertEquals(0, d[0] + d[1] + d[3]);
      cut += r.stragglersCut();
      if (r.survivors() > 0) {
        assertEquals(r.sampled() - r.stragglersCut(), r.survivors(), "round " + r.round());
      }
      assertTrue(r.maxEpsilonChargedBySite() >= r.maxEpsilon(), "a site pays at least what the coordinator charges it");
    }
    assertTrue(cut > 0, "some stragglers were cut");
    // The coordinator charges a site in a round exactly when its data-use record is written (as the
    // ledger, the auditor and the site itself count it), committed or not: every sampled site but the
    // stragglers, whose records arrive after the masking deadline and are refused.
    double[] before = new double[sites.size()];
    for (RoundRecord r : rounds) {
      double[] now = r.epsilonPerSite();
      int charged = 0;
      for (int i = 0; i < now.length; i++) {
        charged += now[i] > before[i] ? 1 : 0;
      }
      assertEquals(r.sampled() - r.stragglersCut(), charged, "sites charged by the coordinator in round " + r.round());
      before = now;
    }
  }

  /**
   * Above SecAggParams.SPARSE_ABOVE (200) sites the coordinator uses the SecAgg+ graph, whose
   * threshold counts per share group, far below the min_survivors the noise is calibrated to (half
   * the sites): the sites must still take the distributed round (a check that compared the two
   * refused every round of every large simulation). Small sites (one node, 3 hours) keep it fast.
   */
  @Test
  void aDistributedRoundOverTheSecAggPlusGraphRuns() throws Exception {
    GeneratorConfig config = GeneratorConfig.builder().sites(201).nodesPerSite(1)
        .durationSeconds(3 * 3600).intervalSeconds(60).anomalyRate(0.1).nonIidAlpha(0.3).seed(5).build();
    List<SiteData> many = Sites.generated(config, new WindowSpec(12, 6, FeatureMode.STATISTICS));
    RunSpec spec = new RunSpec("federated_distributed_eps50_drop0.0", RunKind.FEDERATED, "distributed", 50, 1e-5, 0.0, 5);
    SimulationSettings one = new SimulationSettings(1, 1, 32, 0.05, "fedavg", 1.0, 1.0, 48);
    RoundRecord r = InProcessFederation.run(many, spec, one, x -> {}).get(0);
    assertEquals(many.size(), r.survivors(), "every site took the round and survived");
    assertTrue(r.maxEpsilon() > 0, "the round was charged: " + r.maxEpsilon());
  }

  private static RoundRecord last(List<RoundRecord> rounds) {
    return rounds.get(rounds.size() - 1);
  }

  @Test
  void baselinesRun() {
    RunSpec local = new RunSpec("local-only", RunKind.LOCAL_ONLY, "none", Double.POSITIVE_INFINITY, 1e-5, 0, 1);
    RunSpec central = new RunSpec("centralized", RunKind.CENTRALIZED, "none", Double.POSITIVE_INFINITY, 1e-5, 0, 1);
    List<RoundRecord> l = Baselines.localOnly(sites, local, SETTINGS, r -> {});
    List<RoundRecord> c = Baselines.centralized(sites, central, SETTINGS, r -> {});
    assertEquals(SETTINGS.rounds(), l.size());
    assertEquals(SETTINGS.rounds(), c.size());
    assertTrue(c.get(c.size() - 1).trainLoss() < c.get(0).trainLoss() * 1.0001, "centralized training lowers its loss");
  }

  @Test
  void medianIgnoresNaN() {
    assertEquals(2.0, Baselines.median(new double[] {3, Double.NaN, 1, 2}));
    assertEquals(1.5, Baselines.median(new double[] {1, 2}));
    assertTrue(Double.isNaN(Baselines.median(new double[] {Double.NaN})));
  }

  /** Round time is the one column that is not reproducible. */
  private static RoundRecord strip(RoundRecord r) {
    return new RoundRecord(r.runId(), r.round(), r.trainLoss(), r.quality(), r.epsilonPerSite(), r.sampled(), r.survivors(),
        r.droppedByPhase(), r.stragglersCut(), r.maxEpsilonChargedBySite(), 0, r.federatedStatistics(), r.federatedThreshold());
  }
}
