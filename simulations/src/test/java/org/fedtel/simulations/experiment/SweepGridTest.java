package org.fedtel.simulations.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SweepGridTest {
  @Test
  void everyCombinationIsARunAndBaselinesAppearOnce() {
    List<RunSpec> runs = SweepGrid.expand(List.of("distributed", "local"), List.of(1.0, 4.0, Double.POSITIVE_INFINITY),
        1e-5, List.of(0.0, 0.2), 7, true);
    long privateRuns = runs.stream().filter(r -> r.kind() == RunKind.FEDERATED).count();
    assertEquals(2 * 2 * 2, privateRuns);
    assertEquals(1, runs.stream().filter(r -> r.kind() == RunKind.LOCAL_ONLY).count());
    assertEquals(1, runs.stream().filter(r -> r.kind() == RunKind.CENTRALIZED).count());
    // The non-private federation depends on dropout only.
    assertEquals(2, runs.stream().filter(r -> r.kind() == RunKind.FEDERATED_NO_PRIVACY).count());
    assertEquals(runs.size(), runs.stream().map(RunSpec::id).distinct().count(), "run ids are unique");
    assertTrue(runs.stream().allMatch(r -> r.seed() == 7), "all runs share the sweep's seed");
  }

  @Test
  void withoutBaselinesInfiniteEpsilonStillGivesTheNonPrivateRun() {
    List<RunSpec> runs = SweepGrid.expand(List.of("distributed"), List.of(2.0, Double.POSITIVE_INFINITY), 1e-5, List.of(0.0), 1, false);
    assertEquals(List.of(RunKind.FEDERATED, RunKind.FEDERATED_NO_PRIVACY), runs.stream().map(RunSpec::kind).toList());
    assertEquals("federated_distributed_eps2_drop0.0", runs.get(0).id());
  }

  @Test
  void orderIsDeterministic() {
    assertEquals(SweepGrid.expand(List.of("local"), List.of(1.0, 2.0), 1e-5, List.of(0.0, 0.1), 3, true),
        SweepGrid.expand(List.of("local"), List.of(1.0, 2.0), 1e-5, List.of(0.0, 0.1), 3, true));
  }

  @Test
  void rejectsBadLists() {
    assertThrows(IllegalArgumentException.class, () -> SweepGrid.expand(List.of(), List.of(1.0), 1e-5, List.of(0.0), 1, true));
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
        () -> SweepGrid.expand(List.of("local"), List.of(1.0, 1.0), 1e-5, List.of(0.0), 1, true));
    assertTrue(twice.getMessage().contains("--epsilon lists a value twice"));
    assertThrows(IllegalArgumentException.class, () -> SweepGrid.expand(List.of("central"), List.of(1.0), 1e-5, List.of(0.0), 1, true));
    assertThrows(IllegalArgumentException.class, () -> SweepGrid.expand(List.of("local"), List.of(1.0), 1e-5, List.of(1.0), 1, true));
  }

  @Test
  void parsesEpsilons() {
    assertEquals(Double.POSITIVE_INFINITY, SweepGrid.parseEpsilon("inf"));
    assertEquals(0.5, SweepGrid.parseEpsilon(" 0.5 "));
    assertThrows(IllegalArgumentException.class, () -> SweepGrid.parseEpsilon("0"));
    assertThrows(IllegalArgumentException.class, () -> SweepGrid.parseEpsilon("-1"));
    assertThrows(IllegalArgumentException.class, () -> SweepGrid.parseEpsilon("NaN"));
    assertThrows(IllegalArgumentException.class, () -> SweepGrid.parseEpsilon("two"));
  }
}
