package org.fedtel.coordinator.strategy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StrategyTest {
  private static AggregatedUpdate update(double... delta) {
    return new AggregatedUpdate(delta, 10, List.of("a", "b"));
  }

  @Test
  void fedAvgAddsTheMeanDelta() {
    Strategy s = Strategies.fedAvg();
    assertArrayEquals(new double[] {1.5, -2.0}, s.aggregate(1, new double[] {1, 1}, update(0.5, -3), List.of()), 0);
    assertEquals(0.0, s.configure(1).proximalMu());
  }

  @Test
  void fedProxAggregatesLikeFedAvgAndAsksForTheProximalTerm() {
    Strategy s = Strategies.fedProx(0.1);
    assertEquals(0.1, s.configure(3).proximalMu());
    assertArrayEquals(new double[] {1.5, -2.0}, s.aggregate(1, new double[] {1, 1}, update(0.5, -3), List.of()), 0);
    assertThrows(IllegalArgumentException.class, () -> Strategies.fedProx(0));
  }

  @Test
  void fedAvgMAccumulatesMomentum() {
    Strategy s = Strategies.fedAvgM(1.0, 0.5);
    double[] x1 = s.aggregate(1, new double[] {0}, update(1), List.of());
    assertArrayEquals(new double[] {1}, x1, 0); // v = 1
    double[] x2 = s.aggregate(2, x1, update(1), List.of());
    assertArrayEquals(new double[] {2.5}, x2, 0); // v = 0.5 + 1
    double[] x3 = s.aggregate(3, x2, update(-2), List.of());
    assertArrayEquals(new double[] {1.25}, x3, 1e-15); // v = 0.75 - 2
  }

  @Test
  void fedAdamMatchesAlgorithm2ByHand() {
    double eta = 0.1, b1 = 0.9, b2 = 0.99, tau = 1e-3;
    Strategy s = Strategies.fedAdam(eta, b1, b2, tau);
    double[] x1 = s.aggregate(1, new double[] {0}, update(2), List.of());
    double m = 0.1 * 2;
    double v = 0.99 * tau * tau + 0.01 * 4;
    assertEquals(eta * m / (Math.sqrt(v) + tau), x1[0], 1e-15);
    double[] x2 = s.aggregate(2, x1, update(-1), List.of());
    m = 0.9 * m + 0.1 * -1;
    v = 0.99 * v + 0.01 * 1;
    assertEquals(x1[0] + eta * m / (Math.sqrt(v) + tau), x2[0], 1e-15);
  }

  @Test
  void fedYogiMovesSecondMomentTowardsDeltaSquaredAdditively() {
    double tau = 1e-3;
    Strategy s = Strategies.fedYogi(0.1, 0.0, 0.9, tau);
    double[] x1 = s.aggregate(1, new double[] {0}, update(2), List.of());
    // v0 = tau^2 < 4 so sign(v - d^2) = -1: v = tau^2 + 0.1 * 4
    double v = tau * tau + 0.1 * 4;
    assertEquals(0.1 * 2 / (Math.sqrt(v) + tau), x1[0], 1e-15);
    double[] x2 = s.aggregate(2, x1, update(0.1), List.of());
    // now v > 0.01 so sign = +1: v = v - 0.1 * 0.01
    v = v - 0.1 * 0.01;
    assertEquals(x1[0] + 0.1 * 0.1 / (Math.sqrt(v) + tau), x2[0], 1e-15);
  }

  @Test
  void fedAdagradSumsSquares() {
    double tau = 1e-3;
    Strategy s = Strategies.fedAdagrad(0.5, 0.0, tau);
    double[] x = {0};
    double v = tau * tau;
    double expected = 0;
    for (double d : new double[] {1, -2, 3}) {
      x = s.aggregate(1, x, update(d), List.of());
      v += d * d;
      expected += 0.5 * d / (Math.sqrt(v) + tau);
    }
    assertEquals(expected, x[0], 1e-14);
  }

  @Test
  void everyStrategyMinimisesAQuadraticFromNoisyFreeDeltas() {
    // Each "round" the sites report one local gradient step towards the optimum 3.
    for (String name : Strategies.NAMES) {
      // Adagrad's steps shrink like 1/sqrt(t): give the adaptive ones a larger server rate.
      Map<String, Double> options = name.startsWith("fedada") || name.equals("fedadam") || name.equals("fedyogi")
          ? Map.of("server_learning_rate", 0.5) : Map.of();
      Strategy s = Strategies.create(name, options);
      double[] x = {-5, 8};
      for (int round = 1; round <= 1000; round++) {
        double[] delta = {0.2 * (3 - x[0]), 0.2 * (3 - x[1])};
        x = s.aggregate(round, x, update(delta), List.of());
      }
      assertEquals(3, x[0], 0.05, name);
      assertEquals(3, x[1], 0.05, name);
    }
  }

  @Test
  void restoredStateContinuesIdentically() {
    for (String name : Strategies.NAMES) {
      Strategy a = Strategies.create(name, Map.of());
      double[] x = {1, 2, 3};
      x = a.aggregate(1, x, update(0.3, -0.2, 0.1), List.of());
      Strategy b = Strategies.create(name, Map.of());
      b.restore(a.state());
      double[] xa = a.aggregate(2, x, update(-0.1, 0.4, 0.0), List.of());
      double[] xb = b.aggregate(2, x, update(-0.1, 0.4, 0.0), List.of());
      assertArrayEquals(xa, xb, 0, name);
    }
  }

  @Test
  void badInputIsRefusedWithTheReason() {
    Strategy s = Strategies.fedAdam(0.1, 0.9, 0.99, 1e-3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> s.aggregate(1, new double[] {1, 2}, update(1), List.of()));
    assertTrue(e.getMessage().contains("1 parameters but the model has 2"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> update(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> new AggregatedUpdate(new double[] {1}, 0, List.of("a")));
    e = assertThrows(IllegalArgumentException.class, () -> Strategies.create("fedsgd", Map.of()));
    assertTrue(e.getMessage().contains("unknown strategy 'fedsgd'"));
    e = assertThrows(IllegalArgumentException.class, () -> Strategies.create("fedavgm", Map.of("beta1", 0.9)));
    assertTrue(e.getMessage().contains("no option 'beta1'"));
    assertThrows(IllegalArgumentException.class, () -> Strategies.fedAvgM(1, 1.0));
    e = assertThrows(IllegalArgumentException.class,
        () -> Strategies.fedYogi(0.1, 0.9, 0.99, 1e-3).restore(Strategies.fedAvgM(1, 0.9).state()));
    assertTrue(e.getMessage().contains("cannot be restored"));
  }

  @Test
  void updateIsDefensivelyCopied() {
    double[] delta = {1};
    AggregatedUpdate u = new AggregatedUpdate(delta, 1, List.of("a"));
    delta[0] = 9;
    u.meanDelta()[0] = 7;
    assertEquals(1, u.meanDelta()[0]);
  }
}
