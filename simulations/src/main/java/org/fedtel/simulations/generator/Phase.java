package org.fedtel.simulations.generator;

/**
 * What a node does during one phase of an application, per node and at full speed. Shares are of
 * the node's capacity (cores, memory, NIC, file-system bandwidth); {@code metaOps} is file-system
 * metadata operations per second. The sensitivities (0..1) say how much each kind of interference
 * slows this phase down; they follow from the profile (a phase that streams memory suffers from a
 * memory-bandwidth hog, one that sends nothing does not suffer from a network hog).
 * {@code createShare} and {@code unlinkShare} are the shares of metadata operations that create and
 * remove files (the rest are open, close and getattr).
 */
record Phase(
    String name,
    double user,
    double sys,
    double ipc,
    double mpki,
    double memShare,
    double netShare,
    double packetBytes,
    double readShare,
    double writeShare,
    double metaOps,
    double meanSeconds,
    double createShare,
    double unlinkShare) {

  Phase {
    if (!(user >= 0 && user <= 1 && sys >= 0 && user + sys <= 1 && ipc > 0 && mpki >= 0 && memShare >= 0
        && memShare <= 0.8 && netShare >= 0 && netShare <= 1 && packetBytes >= 64 && readShare >= 0
        && writeShare >= 0 && readShare + writeShare <= 1 && metaOps >= 0 && meanSeconds > 0
        && createShare >= 0 && unlinkShare >= 0 && createShare + unlinkShare <= 1)) {
      throw new IllegalArgumentException("bad phase " + name);
    }
  }

  /** This phase with other create / unlink shares. */
  Phase churn(double create, double unlink) {
    return new Phase(name, user, sys, ipc, mpki, memShare, netShare, packetBytes, readShare, writeShare, metaOps,
        meanSeconds, create, unlink);
  }

  double cpuSensitivity() {
    return user;
  }

  /** Cache-resident working sets (high IPC, few misses) lose most when the cache is flushed. */
  double cacheSensitivity() {
    return Math.min(1, 0.3 + 0.35 * ipc) * user;
  }

  double memoryBandwidthSensitivity() {
    return Math.min(1, mpki / 15) * user;
  }

  double memoryCapacitySensitivity() {
    return memShare;
  }

  double ioSensitivity() {
    return Math.min(1, (readShare + writeShare) / 0.4);
  }

  double metadataSensitivity() {
    return Math.min(1, metaOps / 300);
  }

  double networkSensitivity() {
    return Math.min(1, netShare / 0.4);
  }
}
