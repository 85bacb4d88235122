package org.fedtel.simulations.generator;

/**
 * How much an anomaly slows the application phase it shares a node with: the phase's progress
 * rate is divided by {@code 1 + intensity * strength * sensitivity}. A multi-node job runs at the
 * pace of its slowest node (bulk-synchronous codes wait for stragglers), so one anomalous node
 * slows every node of its job, as the HPAS paper observes.
 */
final class Interference {
  private Interference() {}

  static double slowdown(AnomalyType type, double intensity, Phase phase) {
    double s = switch (type) {
      case CPUOCCUPY -> 1.5 * phase.cpuSensitivity();
      case CACHECOPY -> 0.6 * phase.cacheSensitivity();
      case MEMBW -> 0.9 * phase.memoryBandwidthSensitivity();
      case MEMLEAK -> 0.1 * phase.memoryCapacitySensitivity();
      case MEMEATER -> 0.25 * phase.memoryCapacitySensitivity();
      case IOMETADATA -> 1.0 * phase.metadataSensitivity();
      case IOBANDWIDTH -> 0.9 * phase.ioSensitivity();
      case NETOCCUPY -> 1.0 * phase.networkSensitivity();
    };
    return 1 + intensity * s;
  }
}
