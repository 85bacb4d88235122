package org.fedtel.telemetry.detect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.fedtel.telemetry.features.FeatureMode;
import org.fedtel.telemetry.features.Scaler;
import org.fedtel.telemetry.features.WindowSpec;
import org.fedtel.telemetry.model.Activation;
import org.fedtel.telemetry.model.ReconstructionError;
import org.junit.jupiter.api.Test;

class DetectorTest {
  private static double[][] gaussian(int n, int d, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[][] x = new double[n][d];
    for (double[] row : x) {
      for (int i = 0; i < d; i++) {
        row[i] = nextGaussian(r);
      }
    }
    return x;
  }

  private static double nextGaussian(SplittableRandom r) {
    return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
  }

  private static AnomalyModel smallModel(long seed) {
    double[][] x = gaussian(200, 3, seed);
    for (double[] row : x) {
      row[2] = row[0] + row[1]; // structure an autoencoder can learn
    }
    DetectorSettings s = new DetectorSettings(new int[] {4, 2, 4}, Activation.TANH, Scaler.Kind.STANDARD, 20, 16,
        0.01, ReconstructionError.MSE, 99);
    return AnomalyModel.train(new WindowSpec(1, 1, FeatureMode.RAW), List.of("a", "b", "c"), x, s,
        new SplittableRandom(seed));
  }

  @Test
  void isolationForestScoresAnOutlierHighAndIsDeterministic() {
    double[][] x = gaussian(500, 2, 1);
    IsolationForest f = IsolationForest.fit(x, 100, 256, new SplittableRandom(2));
    IsolationForest g = IsolationForest.fit(x, 100, 256, new SplittableRandom(2));
    double outlier = f.score(new double[] {6, 6});
    double inlier = f.score(new double[] {0, 0});
    assertTrue(outlier > 0.65, "outlier " + outlier);
    assertTrue(inlier < 0.5, "inlier " + inlier);
    assertEquals(outlier, g.score(new double[] {6, 6}));
    assertEquals(10.244770920119917, IsolationForest.averagePathLength(256), 1e-12);
    assertEquals(1.0, IsolationForest.averagePathLength(2));
    assertEquals(0.0, IsolationForest.averagePathLength(1));
    // negative control: on identical points nothing can be isolated, every point scores the same
    double[][] same = new double[50][2];
    IsolationForest flat = IsolationForest.fit(same, 10, 32, new SplittableRandom(3));
    assertEquals(flat.score(new double[] {0, 0}), flat.score(new double[] {9, 9}));
  }

  @Test
  void windowedGaussianMatchesHandValues() {
    double[] s = new WindowedGaussian(3).scores(new double[] {1, 3, 5, 11, 11});
    // row 1: mean 1, std 0 -> 1e-6 -> |3-1|/1e-6; row 2: mean 2, std 1 -> 3;
    // row 3: mean 3, std sqrt(8/3) -> 8/sqrt(8/3); row 4: window 3,5,11: mean 19/3, deviations -10/3,-4/3,14/3, std sqrt(312/27)
    assertEquals(0, s[0]);
    assertEquals(2e6, s[1], 1e-3);
    assertEquals(3, s[2], 1e-12);
    assertEquals(8 / Math.sqrt(8.0 / 3), s[3], 1e-12);
    assertEquals((11 - 19.0 / 3) / Math.sqrt(312.0 / 27), s[4], 1e-12);
  }

  @Test
  void modelFileRoundTripsByteForByteAndItsHashIsStable() throws Exception {
    AnomalyModel m = smallModel(5);
    byte[] bytes = m.encode();
    AnomalyModel back = AnomalyModel.decode(bytes);
    assertArrayEquals(bytes, back.encode());
    assertEquals(m.sha256Hex(), back.sha256Hex());
    assertEquals(64, m.sha256Hex().length());
    assertEquals(m.threshold(), back.threshold());
    assertNotEquals(m.sha256Hex(), smallModel(6).sha256Hex());
    assertNotEquals(m.sha256Hex(), m.withThreshold(m.threshold() + 1).sha256Hex());
    assertEquals(m.sha256Hex(), smallModel(5).sha256Hex(), "training is deterministic under a seed");
    // the threshold is the 99th percentile of training scores: about 1 % of training windows above it
    AnomalyModel.Scorer sc = m.scorer();
    assertTrue(sc.score(new double[] {1, 1, -5}) > m.threshold(), "a broken a+b=c relation is anomalous");
  }

  @Test
  void aSignedLogScalerStandardizesTheLogValuesAndSurvivesTheModelFile() throws Exception {
    double[][] x = {{1e6, -3, 0}, {1e4, -1, 0}, {1e5, -2, 0}};
    Scaler s = Scaler.fit(Scaler.Kind.SIGNED_LOG_STANDARD, x);
    double[] logMeans = {(Math.log1p(1e6) + Math.log1p(1e4) + Math.log1p(1e5)) / 3, -(Math.log1p(3) + Math.log1p(1) + Math.log1p(2)) / 3, 0};
    assertArrayEquals(logMeans, s.offset(), 1e-12);
    double[] out = new double[3];
    s.transform(x[0], out);
    assertEquals((Math.log1p(1e6) - logMeans[0]) / s.scale()[0], out[0], 1e-12);
    assertEquals(0, out[2], 0, "a constant feature is centred, scale 1");
    AnomalyModel m = smallModel(5);
    Scaler three = Scaler.of(Scaler.Kind.SIGNED_LOG_STANDARD, new double[] {0.5, -1, 2}, new double[] {1, 2, 3});
    AnomalyModel withLog = new AnomalyModel(m.windows(), m.metrics(), three, m.config(), m.parameters(), m.error(), m.threshold());
    AnomalyModel back = AnomalyModel.decode(withLog.encode());
    assertEquals(three, back.scaler());
    assertNotEquals(m.sha256Hex(), withLog.sha256Hex());
  }

  @Test
  void modelFileCorruptionCorpus() {
    byte[] good = smallModel(5).encode();
    for (int len = 0; len < good.length; len += 7) {
      byte[] cut = Arrays.copyOf(good, len);
      ModelFormatException e = assertThrows(ModelFormatException.class, () -> AnomalyModel.decode(cut), "length " + len);
      assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("bad") || e.getMessage().contains("magic"),
          e.getMessage());
    }
    byte[] magic = good.clone();
    magic[0] = 'X';
    assertTrue(assertThrows(ModelFormatException.class, () -> AnomalyModel.decode(magic)).getMessage().contains("magic"));
    byte[] version = good.clone();
    version[5] = 2;
    assertTrue(assertThrows(ModelFormatException.class, () -> AnomalyModel.decode(version)).getMessage()
        .contains("unsupported model format version 2"));
    byte[] trailing = Arrays.copyOf(good, good.length + 1);
    assertTrue(assertThrows(ModelFormatException.class, () -> AnomalyModel.decode(trailing)).getMessage().contains("trailing"));
    byte[] nanThreshold = good.clone();
    long nan = Double.doubleToRawLongBits(Double.NaN);
    for (int i = 0; i < 8; i++) {
      nanThreshold[good.length - 8 + i] = (byte) (nan >>> (56 - 8 * i));
    }
    assertTrue(assertThrows(ModelFormatException.class, () -> AnomalyModel.decode(nanThreshold)).getMessage()
        .contains("threshold is not finite"));
    // window length and step sit at bytes 6..13; a tiny file must not set a window that exhausts memory
    for (int[] lengthStep : new int[][] {{Integer.MAX_VALUE, 1}, {WindowSpec.MAX_LENGTH + 1, 1}, {0, 1},
        {-1, 1}, {1, Integer.MAX_VALUE}, {1, WindowSpec.MAX_LENGTH + 1}, {1, 0}}) {
      byte[] window = good.clone();
      java.nio.ByteBuffer.wrap(window, 6, 8).putInt(lengthStep[0]).putInt(lengthStep[1]);
      String what = lengthStep[0] != 1 ? "bad window length " + lengthStep[0] : "bad window step " + lengthStep[1];
      String msg = assertThrows(ModelFormatException.class, () -> AnomalyModel.decode(window)).getMessage();
      assertTrue(msg.contains(what), msg);
    }
    byte[] badError = good.clone();
    badError[good.length - 9] = 9;
    assertTrue(assertThrows(ModelFormatException.class, () -> AnomalyModel.decode(badError)).getMessage()
        .contains("unknown reconstruction error code 9"));
  }

  @Test
  void windowBufferIsBoundedInEveryMode() {
    for (FeatureMode mode : FeatureMode.values()) {
      WindowSpec longest = new WindowSpec(WindowSpec.MAX_LENGTH, 1, mode);
      longest.featureCount(WindowSpec.MAX_VALUES / WindowSpec.MAX_LENGTH);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> longest.featureCount(WindowSpec.MAX_VALUES / WindowSpec.MAX_LENGTH + 1), mode.toString());
      assertTrue(e.getMessage().contains("100000 samples x 501 metrics"), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> new WindowSpec(WindowSpec.MAX_LENGTH + 1, 1, FeatureMode.RAW));
  }

  @Test
  void thresholdIsTheNumpyPercentile() {
    double[] scores = new double[101];
    for (int i = 0; i <= 100; i++) {
      scores[i] = i;
    }
    assertEquals(99.0, Threshold.fromTrainingScores(scores, 99), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> Threshold.fromTrainingScores(new double[] {1, Double.NaN}, 99));
  }
}
