package org.fedtel.simulations.generator;

/**
 * The anomalies of the HPC Performance Anomaly Suite (Ates et al., "HPAS: An HPC Performance
 * Anomaly Suite for Reproducing Performance Variations", ICPP 2019). Each is injected with an
 * intensity in (0, 1]; {@link #knob()} says what the intensity scales, in the suite's own terms.
 */
public enum AnomalyType {
  CPUOCCUPY("cpuoccupy", "busy-loop threads on a share of the cores (HPAS -u utilization x cores)"),
  CACHECOPY("cachecopy", "one thread copying arrays sized to the last-level cache (HPAS -c L3 -m multiplier)"),
  MEMBW("membw", "one thread streaming uncached writes, a share of peak memory bandwidth (HPAS -s size)"),
  MEMLEAK("memleak", "leak rate, memory allocated and touched but never freed (HPAS -s size -p period)"),
  MEMEATER("memeater", "resident size held and re-touched, a share of node memory (HPAS -s size)"),
  IOMETADATA("iometadata", "file create/open/stat/close/unlink rate on the shared file system"),
  IOBANDWIDTH("iobandwidth", "bytes read and written per second on the shared file system (HPAS -s file size)"),
  NETOCCUPY("netoccupy", "share of NIC bandwidth used by messages to a peer node (HPAS -s message size)");

  private final String label;
  private final String knob;

  AnomalyType(String label, String knob) {
    this.label = label;
    this.knob = knob;
  }

  /** The label written in the CSV label column (HPAS's name for the anomaly). */
  public String label() {
    return label;
  }

  /** What the intensity scales. */
  public String knob() {
    return knob;
  }

  /** The type with this label. */
  public static AnomalyType ofLabel(String label) {
    for (AnomalyType t : values()) {
      if (t.label.equals(label)) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown anomaly type '" + label + "' (known: cpuoccupy, cachecopy, "
        + "membw, memleak, memeater, iometadata, iobandwidth, netoccupy)");
  }
}
