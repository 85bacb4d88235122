package org.fedtel.simulations.generator;

import static org.fedtel.simulations.generator.Metric.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * Each anomaly moves the metrics it should, in the right direction, more at higher intensity, and
 * leaves every other metric bit-for-bit unchanged. A node is simulated twice with the same seed
 * (so the same noise), once with the anomaly and once without; the difference is the anomaly's
 * effect alone.
 */
class AnomalySignatureTest {
  private static final Hardware HW = Hardware.CLASSES.get(1);
  private static final int BEFORE = 60;
  private static final int DURING = 90;

  /** CPU time, scheduling and everything that follows from CPU load (frequency, counters, power, heat). */
  private static final Set<Metric> CPU_FOLLOWERS = EnumSet.of(CPU_USER_PCT, CPU_SYS_PCT, CPU_IOWAIT_PCT, CPU_IDLE_PCT,
      PROCS_RUNNING, LOAD_1M, CTXT_PER_S, CPU_FREQ_MHZ, CPU_IPC, LLC_MISSES_PER_S, MEM_BW_MB_PER_S, NODE_POWER_W,
      DRAM_POWER_W, CPU_TEMP_C, FAN_RPM, PGFAULT_PER_S);
  private static final Set<Metric> MEMORY = EnumSet.of(MEM_FREE_KB, MEM_AVAILABLE_KB, MEM_ACTIVE_KB, MEM_INACTIVE_KB,
      MEM_ANON_KB, MEM_CACHED_KB, MEM_SLAB_KB, MEM_DIRTY_KB, MEM_WRITEBACK_KB, PGMAJFAULT_PER_S, PGPGIN_KB_PER_S,
      PGPGOUT_KB_PER_S, PSWPOUT_PER_S);
  private static final Set<Metric> NETWORK = EnumSet.of(NIC_RX_BYTES_PER_S, NIC_TX_BYTES_PER_S, NIC_RX_PACKETS_PER_S,
      NIC_TX_PACKETS_PER_S, INTR_PER_S);
  private static final Set<Metric> FS_META = EnumSet.of(FS_OPEN_PER_S, FS_CLOSE_PER_S, FS_GETATTR_PER_S,
      FS_CREATE_PER_S, FS_UNLINK_PER_S);

  /** Metrics that must move, with the sign of the move. */
  static Map<Metric, Integer> primary(AnomalyType t) {
    return switch (t) {
      case CPUOCCUPY -> Map.of(CPU_USER_PCT, 1, CPU_IDLE_PCT, -1, PROCS_RUNNING, 1, CTXT_PER_S, 1);
      case CACHECOPY -> Map.of(LLC_MISSES_PER_S, 1, CPU_IPC, -1);
      case MEMBW -> Map.of(MEM_BW_MB_PER_S, 1, LLC_MISSES_PER_S, 1, DRAM_POWER_W, 1);
      // MemFree itself only falls while the page cache is small; under file I/O the kernel evicts
      // cache instead and MemFree stays at its floor, so MemAvailable is the reliable signal.
      case MEMLEAK -> Map.of(MEM_ACTIVE_KB, 1, MEM_ANON_KB, 1, MEM_AVAILABLE_KB, -1);
      case MEMEATER -> Map.of(MEM_ANON_KB, 1, MEM_AVAILABLE_KB, -1, MEM_ACTIVE_KB, 1, PGFAULT_PER_S, 1);
      case IOMETADATA -> Map.of(FS_OPEN_PER_S, 1, FS_CREATE_PER_S, 1, FS_UNLINK_PER_S, 1, FS_GETATTR_PER_S, 1,
          MEM_SLAB_KB, 1);
      case IOBANDWIDTH -> Map.of(FS_READ_BYTES_PER_S, 1, FS_WRITE_BYTES_PER_S, 1, PGPGIN_KB_PER_S, 1,
          PGPGOUT_KB_PER_S, 1, MEM_DIRTY_KB, 1);
      case NETOCCUPY -> Map.of(NIC_RX_BYTES_PER_S, 1, NIC_TX_BYTES_PER_S, 1, NIC_RX_PACKETS_PER_S, 1,
          NIC_TX_PACKETS_PER_S, 1);
    };
  }

  /** Everything the anomaly may change; the rest must be identical to the run without it. */
  static Set<Metric> allowed(AnomalyType t) {
    Set<Metric> s = EnumSet.copyOf(CPU_FOLLOWERS);
    s.addAll(primary(t).keySet());
    switch (t) {
      case MEMLEAK, MEMEATER -> s.addAll(MEMORY);
      case IOMETADATA -> {
        s.addAll(FS_META);
        s.addAll(NETWORK);
        s.addAll(MEMORY);
      }
      case IOBANDWIDTH -> {
        s.addAll(FS_META);
        s.addAll(NETWORK);
        s.addAll(MEMORY);
        s.add(PROCS_BLOCKED);
      }
      case NETOCCUPY -> s.addAll(NETWORK);
      default -> { }
    }
    return s;
  }

  /** Phases that leave headroom for each anomaly to show (by name in the catalogue). */
  static List<Integer> testPhases() {
    List<Integer> ids = new ArrayList<>();
    List<Phase> all = AppCatalogue.phases();
    for (int i = 0; i < all.size(); i++) {
      String n = all.get(i).name();
      if (n.equals("aggregate") || n.equals("scan") || n.equals("transpose") || n.equals("idle")) {
        ids.add(i);
      }
    }
    assertEquals(4, ids.size());
    return ids;
  }

  /** Per-metric mean over the anomaly window. */
  static double[] windowMeans(int phaseId, AnomalyType type, double intensity) {
    NodeSimulator sim = new NodeSimulator(HW, 10, 21, 0, new SplitMix(99));
    double[] v = new double[Metric.COUNT];
    double[] sum = new double[Metric.COUNT];
    for (int s = 0; s < BEFORE + DURING; s++) {
      boolean on = type != null && s >= BEFORE;
      sim.step(phaseId, phaseId == 0 ? -1 : 5, 1.0, on ? type : null, intensity, s - BEFORE,
          GeneratorConfig.DEFAULT_START + 10L * s, v);
      if (s >= BEFORE) {
        for (int m = 0; m < v.length; m++) {
          sum[m] += v[m] / DURING;
        }
      }
    }
    return sum;
  }

  static double[] effect(double[] base, double[] with) {
    double[] e = new double[base.length];
    for (int m = 0; m < base.length; m++) {
      e[m] = (with[m] - base[m]) / (Math.abs(base[m]) + 1);
    }
    return e;
  }

  @ParameterizedTest
  @EnumSource(AnomalyType.class)
  void movesItsMetricsAndOnlyThose(AnomalyType type) {
    for (int phase : testPhases()) {
      String where = type.label() + " in phase " + AppCatalogue.phases().get(phase).name();
      double[] base = windowMeans(phase, null, 0);
      double[] with = windowMeans(phase, type, 0.6);
      double[] e = effect(base, with);
      for (Map.Entry<Metric, Integer> p : primary(type).entrySet()) {
        if (phase == 0 && type == AnomalyType.CACHECOPY && p.getKey() == CPU_IPC) {
          continue; // on an idle node the copy loop is all that runs, so it sets the IPC instead of lowering it
        }
        double signed = e[p.getKey().ordinal()] * p.getValue();
        assertTrue(signed > 0.02, where + ": " + p.getKey().column() + " should move by > 2 % in direction "
            + p.getValue() + ", relative change " + e[p.getKey().ordinal()]);
      }
      Set<Metric> allowed = allowed(type);
      for (Metric m : Metric.values()) {
        if (!allowed.contains(m) && base[m.ordinal()] != with[m.ordinal()]) {
          fail(where + ": " + m.column() + " changed (" + base[m.ordinal()] + " -> " + with[m.ordinal()]
              + ") but is not part of the signature");
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(AnomalyType.class)
  void higherIntensityMovesMore(AnomalyType type) {
    for (int phase : testPhases()) {
      double[] base = windowMeans(phase, null, 0);
      double[] low = effect(base, windowMeans(phase, type, 0.2));
      double[] mid = effect(base, windowMeans(phase, type, 0.5));
      double[] high = effect(base, windowMeans(phase, type, 1.0));
      // The strongest primary metric grows with intensity; for single-threaded generators whose CPU
      // use is fixed (one thread) some primaries are flat, so require it of the sum of primaries.
      double l = 0;
      double m = 0;
      double h = 0;
      for (Map.Entry<Metric, Integer> p : primary(type).entrySet()) {
        int i = p.getKey().ordinal();
        l += p.getValue() * low[i];
        m += p.getValue() * mid[i];
        h += p.getValue() * high[i];
      }
      String where = type.label() + " in phase " + AppCatalogue.phases().get(phase).name();
      assertTrue(l > 0 && l < m && m < h, where + ": effect should grow with intensity: " + l + ", " + m + ", " + h);
    }
  }

  @Test
  void negativeControlTheCheckCatchesAForeignEffect() {
    // cpuoccupy's run compared against membw's allowed set must fail on memory bandwidth: it does
    // not move it, so the primary check for membw must reject it.
    int phase = testPhases().get(0);
    double[] e = effect(windowMeans(phase, null, 0), windowMeans(phase, AnomalyType.NETOCCUPY, 0.6));
    Set<Metric> cpuAllowed = allowed(AnomalyType.CPUOCCUPY);
    boolean foreign = false;
    for (Metric m : Metric.values()) {
      foreign |= !cpuAllowed.contains(m) && e[m.ordinal()] != 0;
    }
    assertTrue(foreign, "netoccupy must change metrics outside cpuoccupy's signature");
    assertTrue(e[FS_OPEN_PER_S.ordinal()] == 0, "netoccupy must not touch file-system metadata");
  }

  @Test
  void memleakFreeMemoryFallsSteadily() {
    NodeSimulator sim = new NodeSimulator(HW, 10, 21, 0, new SplitMix(5));
    double[] v = new double[Metric.COUNT];
    int phase = testPhases().get(2);
    assertEquals("aggregate", AppCatalogue.phases().get(phase).name());
    double prevFree = Double.NaN;
    int falls = 0;
    for (int s = 0; s < 120; s++) {
      boolean on = s >= 60;
      sim.step(phase, 3, 1.0, on ? AnomalyType.MEMLEAK : null, 0.3, s - 60, GeneratorConfig.DEFAULT_START + 10L * s, v);
      if (on && s > 60) {
        falls += v[MEM_FREE_KB.ordinal()] < prevFree ? 1 : 0;
      }
      prevFree = v[MEM_FREE_KB.ordinal()];
    }
    assertTrue(falls >= 55, "MemFree should fall at nearly every sample of a leak, fell at " + falls + " of 59");
  }
}
