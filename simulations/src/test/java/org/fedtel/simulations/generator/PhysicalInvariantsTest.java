package org.fedtel.simulations.generator;

import static org.fedtel.simulations.generator.Metric.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The relations between metrics hold in every sample of every node, anomalies included. */
class PhysicalInvariantsTest {
  private static final Metric[] RATES = {CTXT_PER_S, INTR_PER_S, PGFAULT_PER_S, PGMAJFAULT_PER_S, PGPGIN_KB_PER_S,
      PGPGOUT_KB_PER_S, PSWPOUT_PER_S, NIC_RX_BYTES_PER_S, NIC_TX_BYTES_PER_S, NIC_RX_PACKETS_PER_S,
      NIC_TX_PACKETS_PER_S, FS_READ_BYTES_PER_S, FS_WRITE_BYTES_PER_S, FS_OPEN_PER_S, FS_CLOSE_PER_S,
      FS_GETATTR_PER_S, FS_CREATE_PER_S, FS_UNLINK_PER_S, LLC_MISSES_PER_S};

  @Test
  void invariantsHoldInEverySample() {
    GeneratorConfig c = GeneratorConfig.builder().sites(5).nodesPerSite(4).durationSeconds(12 * 3600)
        .intervalSeconds(10).anomalyRate(0.3).sizeSpread(0.2).seed(17).build();
    TelemetryGenerator g = new TelemetryGenerator(c);
    for (int site = 0; site < c.sites(); site++) {
      Hardware hw = g.profile(site).hardware();
      long[] lastTime = new long[g.nodes(site)];
      List<double[]> powerAndBusy = new ArrayList<>();
      int s = site;
      g.generateSite(site, (node, time, v, label, x) -> {
        String at = "site " + s + " node " + node + " t " + time + ": ";
        if (lastTime[node] != 0) {
          assertEquals(lastTime[node] + c.intervalSeconds(), time, at + "timestamps step by the interval");
        }
        lastTime[node] = time;
        double cpu = v[CPU_USER_PCT.ordinal()] + v[CPU_SYS_PCT.ordinal()] + v[CPU_IOWAIT_PCT.ordinal()]
            + v[CPU_IDLE_PCT.ordinal()];
        assertEquals(100, cpu, 1e-9, at + "CPU shares add up to 100");
        for (Metric m : new Metric[] {CPU_USER_PCT, CPU_SYS_PCT, CPU_IOWAIT_PCT, CPU_IDLE_PCT}) {
          assertTrue(v[m.ordinal()] >= 0 && v[m.ordinal()] <= 100, at + m.column() + " = " + v[m.ordinal()]);
        }
        double total = v[MEM_TOTAL_KB.ordinal()];
        assertEquals(hw.memKb(), total, at + "MemTotal is the hardware's");
        double parts = v[MEM_FREE_KB.ordinal()] + v[MEM_ANON_KB.ordinal()] + v[MEM_CACHED_KB.ordinal()]
            + v[MEM_BUFFERS_KB.ordinal()] + v[MEM_SLAB_KB.ordinal()] + v[MEM_KERNEL_KB.ordinal()];
        assertEquals(total, parts, at + "memory parts add up to MemTotal");
        assertEquals(v[MEM_ANON_KB.ordinal()] + v[MEM_CACHED_KB.ordinal()] + v[MEM_BUFFERS_KB.ordinal()],
            v[MEM_ACTIVE_KB.ordinal()] + v[MEM_INACTIVE_KB.ordinal()], at + "Active + Inactive = anon + file pages");
        assertTrue(v[MEM_FREE_KB.ordinal()] > 0, at + "MemFree > 0");
        assertTrue(v[MEM_INACTIVE_KB.ordinal()] >= 0, at + "Inactive >= 0");
        assertTrue(v[MEM_DIRTY_KB.ordinal()] <= v[MEM_CACHED_KB.ordinal()], at + "Dirty <= Cached");
        assertTrue(v[MEM_AVAILABLE_KB.ordinal()] >= v[MEM_FREE_KB.ordinal()] && v[MEM_AVAILABLE_KB.ordinal()] <= total,
            at + "Free <= Available <= Total");
        for (Metric m : RATES) {
          double r = v[m.ordinal()];
          double increment = r * c.intervalSeconds();
          assertTrue(r >= 0, at + m.column() + " is a counter rate and cannot be negative: " + r);
          assertEquals(Math.rint(increment), increment, 1e-6, at + m.column() + " is a counter difference / interval");
        }
        assertTrue(v[PROCS_RUNNING.ordinal()] >= 1 && v[PROCS_BLOCKED.ordinal()] >= 0, at + "process counts");
        double w = v[NODE_POWER_W.ordinal()];
        assertTrue(w > hw.idleWatts() * 0.9 && w < hw.maxWatts() * 1.1, at + "power within the node's range: " + w);
        assertTrue(v[CPU_TEMP_C.ordinal()] > v[INLET_TEMP_C.ordinal()], at + "CPU hotter than the inlet");
        assertTrue(v[CPU_FREQ_MHZ.ordinal()] <= hw.turboMhz() + 60 && v[CPU_FREQ_MHZ.ordinal()] > hw.baseMhz() - 400,
            at + "frequency within range");
        if (node == 0) {
          powerAndBusy.add(new double[] {w, 100 - v[CPU_IDLE_PCT.ordinal()] - v[CPU_IOWAIT_PCT.ordinal()],
              v[CPU_TEMP_C.ordinal()]});
        }
      });
      double[] p = column(powerAndBusy, 0);
      double[] busy = column(powerAndBusy, 1);
      double[] temp = column(powerAndBusy, 2);
      assertTrue(correlation(p, busy) > 0.8, "site " + site + ": power follows CPU load, r = " + correlation(p, busy));
      assertTrue(correlation(p, temp) > 0.6, "site " + site + ": temperature follows power, r = " + correlation(p, temp));
    }
  }

  @Test
  void negativeControlCorrelationCheckRejectsUnrelatedSeries() {
    SplitMix r = new SplitMix(1);
    double[] a = new double[2000];
    double[] b = new double[2000];
    for (int i = 0; i < a.length; i++) {
      a[i] = r.nextGaussian();
      b[i] = r.nextGaussian();
    }
    assertTrue(Math.abs(correlation(a, b)) < 0.1);
  }

  static double[] column(List<double[]> rows, int i) {
    double[] c = new double[rows.size()];
    for (int k = 0; k < c.length; k++) {
      c[k] = rows.get(k)[i];
    }
    return c;
  }

  static double correlation(double[] x, double[] y) {
    double mx = 0;
    double my = 0;
    for (int i = 0; i < x.length; i++) {
      mx += x[i] / x.length;
      my += y[i] / y.length;
    }
    double sxy = 0;
    double sxx = 0;
    double syy = 0;
    for (int i = 0; i < x.length; i++) {
      sxy += (x[i] - mx) * (y[i] - my);
      sxx += (x[i] - mx) * (x[i] - mx);
      syy += (y[i] - my) * (y[i] - my);
    }
    return sxy / Math.sqrt(sxx * syy);
  }
}
