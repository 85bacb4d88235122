package org.fedtel.simulations.generator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HeterogeneityTest {
  /** Var(p_1) of a symmetric Dirichlet(alpha) over k categories. */
  static double dirichletVariance(double alpha, int k) {
    return (k - 1.0) / ((double) k * k * (k * alpha + 1));
  }

  static double sampleVariance(double alpha, int k, int n, long seed) {
    SplitMix r = new SplitMix(seed);
    double sum = 0;
    double sq = 0;
    for (int i = 0; i < n; i++) {
      double p = r.dirichlet(alpha, k)[0];
      sum += p;
      sq += p * p;
    }
    double mean = sum / n;
    return sq / n - mean * mean;
  }

  @Test
  void dirichletDrawsHaveTheirTheoreticalVariance() {
    int k = AppCatalogue.size();
    for (double alpha : new double[] {0.05, 0.3, 1, 10, 100}) {
      double expected = dirichletVariance(alpha, k);
      double got = sampleVariance(alpha, k, 20_000, 7);
      assertEquals(expected, got, 0.06 * expected, "alpha " + alpha);
    }
  }

  @Test
  void negativeControlTheVarianceCheckTellsConcentrationsApart() {
    int k = AppCatalogue.size();
    double got = sampleVariance(1, k, 20_000, 7);
    double wrong = dirichletVariance(3, k);
    assertFalse(Math.abs(got - wrong) <= 0.06 * wrong, "alpha 1 must not pass as alpha 3");
  }

  @Test
  void lowAlphaSitesRunFewerApplications() {
    double nonIid = meanTopShare(0.05);
    double iid = meanTopShare(100);
    assertTrue(nonIid > 0.8 && iid < 0.2, "top app share: alpha 0.05 -> " + nonIid + ", alpha 100 -> " + iid);
  }

  static double meanTopShare(double alpha) {
    TelemetryGenerator g = new TelemetryGenerator(GeneratorConfig.builder().sites(200).nonIidAlpha(alpha).seed(1).build());
    double sum = 0;
    for (int s = 0; s < 200; s++) {
      double max = 0;
      for (double p : g.profile(s).appMix()) {
        max = Math.max(max, p);
      }
      sum += max / 200;
    }
    return sum;
  }

  @Test
  void siteSizesSpanOrdersOfMagnitudeWhenAsked() {
    TelemetryGenerator g = new TelemetryGenerator(GeneratorConfig.builder().sites(100).nodesPerSite(50)
        .sizeSpread(1.0).seed(2).build());
    int min = Integer.MAX_VALUE;
    int max = 0;
    Set<String> hardware = new HashSet<>();
    for (int s = 0; s < 100; s++) {
      min = Math.min(min, g.nodes(s));
      max = Math.max(max, g.nodes(s));
      hardware.add(g.profile(s).hardware().name());
    }
    assertTrue(max >= 100 * min, "sizes " + min + ".." + max);
    assertEquals(Hardware.CLASSES.size(), hardware.size());
    TelemetryGenerator same = new TelemetryGenerator(GeneratorConfig.builder().sites(10).nodesPerSite(50).seed(2).build());
    for (int s = 0; s < 10; s++) {
      assertEquals(50, same.nodes(s));
    }
  }

  @Test
  void anAnomalySlowsItsWholeJob() {
    GeneratorConfig base = GeneratorConfig.builder().sites(1).nodesPerSite(8).anomalyRate(0).seed(4).build();
    GeneratorConfig hog = GeneratorConfig.builder().sites(1).nodesPerSite(8).anomalyRate(0.4)
        .anomalyTypes(java.util.List.of(AnomalyType.CPUOCCUPY)).intensity(1, 1).seed(4).build();
    SitePlan a = plan(base);
    SitePlan b = plan(hog);
    assertTrue(b.jobsStarted < a.jobsStarted, "jobs started: " + a.jobsStarted + " without, " + b.jobsStarted + " with");
    // A node that is not itself anomalous but shares a job with one that is runs slower too.
    boolean neighbourSlowed = false;
    for (int node = 0; node < 8 && !neighbourSlowed; node++) {
      for (int w = 0; w < b.steps; w++) {
        int s = w + b.burnIn;
        if (b.episodeAt[node][w] < 0 && b.job[node][s] >= 0 && (b.speed[node][s] & 0xFF) < 200) {
          neighbourSlowed = true;
          break;
        }
      }
    }
    assertTrue(neighbourSlowed, "a bulk-synchronous job runs at the pace of its slowest node");
    for (byte[] row : a.speed) {
      for (byte v : row) {
        assertEquals(255, v & 0xFF, "without anomalies every job runs at full speed");
      }
    }
  }

  /** A site whose jobs may span all 8 nodes, with an even application mix. */
  static SitePlan plan(GeneratorConfig c) {
    double[] mix = new double[AppCatalogue.size()];
    java.util.Arrays.fill(mix, 1.0 / mix.length);
    SiteProfile p = new SiteProfile(0, 8, Hardware.CLASSES.get(1), mix, 300, 8, 21, 0);
    return SitePlan.build(c, p, new SplitMix(c.seed()).fork(0));
  }
}
